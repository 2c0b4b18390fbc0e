package io.distlock.idempotency;

/**
 * The operation threw a checked exception (its cause), or — when failures are recorded — a duplicate of a request
 * whose operation failed gets this with the recorded description instead of running again.
 */
public class OperationFailedException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key
     * @param message what failed
     * @param cause the operation's exception, or null for a replayed failure
     */
    public OperationFailedException(String key, String message, Throwable cause) {
        super(key, message, cause);
    }
}
