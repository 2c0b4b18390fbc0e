package io.distlock.idempotency;

/**
 * The operation ran, but its encoded result is larger than the configured limit or than the store accepts, so it
 * was not stored: a retry will run the operation again. Store a reference (an id) instead of a large result.
 */
public class ResultTooLargeException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key
     * @param size the encoded result's size in bytes
     * @param limit the largest size stored
     */
    public ResultTooLargeException(String key, int size, int limit) {
        super(key, "the result for idempotency key '" + key + "' is " + size + " bytes encoded; the limit is "
                + limit + ", so it was not stored", null);
    }
}
