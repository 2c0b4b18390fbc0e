package io.distlock.spi;

import java.util.Objects;

/**
 * The outcome of renewing one lock of a batch ({@link LockBackend#renewAll}): renewed, not held by its owner any more,
 * or failed (the store did not answer for this key, e.g. one node of a cluster was unreachable while the others
 * answered). Immutable.
 */
public final class RenewalResult {

    /** What happened to one lock of the batch. */
    public enum Status {
        /** The owner still holds the key and its lease now ends one lease after the batch was sent. */
        RENEWED,
        /** The key is gone or held by another owner: the core reports the handle lost. */
        NOT_OWNER,
        /** No answer for this key: the core retries within the lease and reports a loss only when it ran out. */
        FAILED
    }

    private static final RenewalResult RENEWED = new RenewalResult(Status.RENEWED, null);
    private static final RenewalResult NOT_OWNER = new RenewalResult(Status.NOT_OWNER, null);

    private final Status status;
    private final Throwable cause;

    private RenewalResult(Status status, Throwable cause) {
        this.status = status;
        this.cause = cause;
    }

    /**
     * The lock was renewed.
     *
     * @return the shared instance
     */
    public static RenewalResult renewed() {
        return RENEWED;
    }

    /**
     * The owner does not hold the key any more.
     *
     * @return the shared instance
     */
    public static RenewalResult notOwner() {
        return NOT_OWNER;
    }

    /**
     * The store gave no answer for this key.
     *
     * @param cause why, typically a {@link io.distlock.LockBackendException}
     * @return a result carrying {@code cause}
     * @throws NullPointerException if {@code cause} is null
     */
    public static RenewalResult failed(Throwable cause) {
        return new RenewalResult(Status.FAILED, Objects.requireNonNull(cause, "cause must not be null"));
    }

    /**
     * What happened.
     *
     * @return the status
     */
    public Status status() {
        return status;
    }

    /**
     * Why the renewal failed.
     *
     * @return the cause for {@link Status#FAILED}, else null
     */
    public Throwable cause() {
        return cause;
    }

    @Override
    public String toString() {
        return cause == null ? status.toString() : status + "(" + cause + ")";
    }
}
