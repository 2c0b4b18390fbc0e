package io.distlock.idempotency;

/**
 * The operation ran and returned, but the lock that made it exclusive was lost while it ran (lease expired, store
 * unreachable for a lease, session lost) and a later run with a larger fencing token took the key over. The two runs
 * overlapped; this run's result is <em>not</em> stored, the later run's is the key's answer. The result of this run is
 * attached so the caller can decide; only fencing at the resource (the operation got the lock's token) kept the two
 * runs apart.
 */
public class LockLostDuringOperationException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient Object result;
    /** The fencing token this run held. */
    private final long fencingToken;

    /**
     * Creates the exception.
     *
     * @param key the idempotency key
     * @param fencingToken the fencing token this run held
     * @param result what this run returned
     */
    public LockLostDuringOperationException(String key, long fencingToken, Object result) {
        super(key, "the lock of idempotency key '" + key + "' (token " + fencingToken
                + ") was lost while the operation ran and a later run took the key over; this result was not stored",
                null);
        this.result = result;
        this.fencingToken = fencingToken;
    }

    /** {@return what this run of the operation returned} */
    public Object result() {
        return result;
    }

    /** {@return the fencing token this run held} */
    public long fencingToken() {
        return fencingToken;
    }
}
