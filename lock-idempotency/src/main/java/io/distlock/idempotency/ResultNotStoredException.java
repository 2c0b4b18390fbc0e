package io.distlock.idempotency;

/**
 * The operation ran and returned, but its result could not be stored (the store failed or timed out; the cause says
 * which). A duplicate may therefore run the operation again. The result of this run is attached, so the caller can
 * still answer its client; whether the store applied the write is unknown.
 */
public class ResultNotStoredException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient Object result;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key
     * @param result what the operation returned
     * @param cause the store's failure
     */
    public ResultNotStoredException(String key, Object result, Throwable cause) {
        super(key, "the operation for idempotency key '" + key + "' ran, but its result could not be stored: "
                + cause, cause);
        this.result = result;
    }

    /** {@return what this run of the operation returned} */
    public Object result() {
        return result;
    }
}
