package io.distlock.idempotency;

import io.distlock.LockException;

/** The root of the idempotency exceptions; an outage of the store is a {@link io.distlock.LockBackendException}. */
public class IdempotencyException extends LockException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public IdempotencyException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The idempotency key of the request. */
    public String key() {
        return key;
    }
}
