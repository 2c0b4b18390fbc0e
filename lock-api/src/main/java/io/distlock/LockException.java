package io.distlock;

/**
 * The root of every exception distlock throws on its own account. Unchecked: callers decide where to handle an
 * outage, and not getting a lock is a result, not an exception, except in {@link LockManager#lock}.
 */
public class LockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong, naming the key
     */
    public LockException(String message) {
        super(message);
    }

    /**
     * Creates the exception with its cause.
     *
     * @param message what went wrong, naming the key
     * @param cause the underlying failure
     */
    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
