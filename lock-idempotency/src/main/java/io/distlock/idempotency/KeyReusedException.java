package io.distlock.idempotency;

/**
 * The idempotency key was used before with a different request (another fingerprint): a client bug, never a retry.
 * Answer like Stripe's 422.
 */
public class KeyReusedException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key that was reused
     */
    public KeyReusedException(String key) {
        super(key, "idempotency key '" + key + "' was already used with a different request", null);
    }
}
