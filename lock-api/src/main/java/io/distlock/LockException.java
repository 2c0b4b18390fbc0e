package io.distlock;

/**
 * The root of every exception distlock throws on its own account. Unchecked: callers decide where to handle an
 * outage, and not getting a lock is a result, not an exception, except in {@link LockManager#lock}.
 */
public class LockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LockException(String message) {
        super(message);
    }

    public LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
