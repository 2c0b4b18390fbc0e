package io.distlock;

import java.time.Duration;

/** Thrown by {@link LockManager#lock(String, Duration)} when the key was still held when the wait ran out. */
public class LockNotAcquiredException extends LockException {
    private static final long serialVersionUID = 1L;

    /** The key that could not be locked. */
    private final String key;
    /** How long the caller waited. */
    private final Duration wait;

    /**
     * Creates the exception.
     *
     * @param key the key that was still held
     * @param wait how long the caller waited for it
     */
    public LockNotAcquiredException(String key, Duration wait) {
        super("lock '" + key + "' is held by another owner; gave up after waiting " + wait);
        this.key = key;
        this.wait = wait;
    }

    /** {@return the key that could not be locked} */
    public String key() {
        return key;
    }

    /** {@return how long the caller waited} */
    public Duration waited() {
        return wait;
    }
}
