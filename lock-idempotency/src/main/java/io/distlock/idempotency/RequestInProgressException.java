package io.distlock.idempotency;

/**
 * A request with the same idempotency key is running right now, on this or another replica. Answer like Stripe's
 * 409 Conflict: the client should retry later and will then get the stored result.
 */
public class RequestInProgressException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key of the running request
     */
    public RequestInProgressException(String key) {
        super(key, "a request with idempotency key '" + key + "' is already in progress", null);
    }
}
