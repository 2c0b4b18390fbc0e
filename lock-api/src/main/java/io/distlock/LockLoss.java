package io.distlock;

import java.util.Objects;

/**
 * Why and when a held lock was lost; the value of {@link LockHandle#lost()}.
 *
 * @param key the user key of the lost lock
 * @param fencingToken the fencing token of the handle that lost it
 * @param reason what the manager observed
 * @param cause the backend failure behind the loss, or null when the backend answered
 */
public record LockLoss(String key, long fencingToken, Reason reason, Throwable cause) {

    /** What the manager observed when it declared the lock lost. */
    public enum Reason {
        /**
         * The backend answered that the lock is gone or belongs to another owner now (expired, deleted, taken), or an
         * operator force-released it ({@link LockInspector#forceRelease}).
         */
        NOT_OWNER,
        /** The lease ran out in fixed-lease mode (renewal off) while the handle was still open. */
        LEASE_EXPIRED,
        /** The backend could not be reached for a whole lease, so the lock must be assumed expired. */
        BACKEND_UNREACHABLE,
        /** The backend session that kept the lock ended (e.g. a ZooKeeper session expired). */
        SESSION_LOST
    }

    /**
     * Checks the components.
     *
     * @param key the user key of the lost lock
     * @param fencingToken the fencing token of the handle that lost it
     * @param reason what the manager observed
     * @param cause the backend failure behind the loss, or null
     * @throws NullPointerException if {@code key} or {@code reason} is null
     */
    public LockLoss {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(reason, "reason");
    }
}
