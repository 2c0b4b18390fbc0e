package io.distlock.idempotency;

/** What consuming a one-time token found. */
public enum TokenOutcome {
    /** This call consumed the token: go on with the request. */
    CONSUMED,
    /** Another request consumed it first: a duplicate submission. */
    ALREADY_CONSUMED,
    /** Never issued for this scope, malformed, or expired. */
    UNKNOWN_OR_EXPIRED
}
