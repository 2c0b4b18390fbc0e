package io.distlock.idempotency;

/**
 * The operation ran and returned, but the lock that made it exclusive was lost while it ran (lease expired, store
 * unreachable for a lease, session lost), or another execution's record was stored first. Another replica may have
 * run the same operation at the same time, so the result is <em>not</em> stored as the key's answer unless it was
 * first: a later retry runs the operation again (or gets the other execution's result). The result of this run is
 * attached so the caller can decide; the fencing token says which execution came later.
 */
public class LockLostDuringOperationException extends IdempotencyException {
    private static final long serialVersionUID = 1L;

    private final transient Object result;
    private final long fencingToken;

    public LockLostDuringOperationException(String key, long fencingToken, Object result) {
        super(key, "the lock of idempotency key '" + key + "' (token " + fencingToken
                + ") was lost while the operation ran; its result was not stored", null);
        this.result = result;
        this.fencingToken = fencingToken;
    }

    /** What this run of the operation returned. */
    public Object result() {
        return result;
    }

    /** The fencing token this run held. */
    public long fencingToken() {
        return fencingToken;
    }
}
