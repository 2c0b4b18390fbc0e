package io.distlock.idempotency;

import io.distlock.LockException;

/** The root of the idempotency exceptions; an outage of the store is a {@link io.distlock.LockBackendException}. */
public class IdempotencyException extends LockException {
    private static final long serialVersionUID = 1L;

    /** The idempotency key of the request. */
    private final String key;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key of the request
     * @param message what happened, naming the key
     * @param cause the underlying failure, or null
     */
    public IdempotencyException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** {@return the idempotency key of the request} */
    public String key() {
        return key;
    }
}
