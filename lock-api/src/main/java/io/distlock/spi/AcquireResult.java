package io.distlock.spi;

import java.time.Duration;

/**
 * The outcome of {@link LockBackend#tryAcquire}: acquired with a fencing token, or held by another owner, with the
 * holder's remaining lease when the backend knows it (so a waiter can re-check when that lease ends even without a
 * release notification). Immutable.
 */
public final class AcquireResult {

    private static final AcquireResult HELD = new AcquireResult(false, 0, -1);

    private final boolean acquired;
    private final long fencingToken;
    private final long holderLeaseRemainingNanos;

    private AcquireResult(boolean acquired, long fencingToken, long holderLeaseRemainingNanos) {
        this.acquired = acquired;
        this.fencingToken = fencingToken;
        this.holderLeaseRemainingNanos = holderLeaseRemainingNanos;
    }

    /**
     * Acquired, with the lock's fencing token (positive).
     *
     * @param fencingToken the token the store computed for this acquisition
     * @return the result
     * @throws IllegalArgumentException if the token is not positive
     */
    public static AcquireResult acquired(long fencingToken) {
        if (fencingToken <= 0) {
            throw new IllegalArgumentException("fencing tokens are positive, got " + fencingToken);
        }
        return new AcquireResult(true, fencingToken, -1);
    }

    /**
     * Held by another owner whose remaining lease is unknown (e.g. a session-bound lock).
     *
     * @return the result
     */
    public static AcquireResult held() {
        return HELD;
    }

    /**
     * Held by another owner whose lease ends in {@code remaining} unless renewed.
     *
     * @param remaining the holder's remaining lease, as the store reported it
     * @return the result
     */
    public static AcquireResult heldFor(Duration remaining) {
        return new AcquireResult(false, 0, Math.max(0, remaining.toNanos()));
    }

    /**
     * Whether the attempt took the lock.
     *
     * @return true if acquired, false if another owner holds the key
     */
    public boolean isAcquired() {
        return acquired;
    }

    /** {@return the fencing token; only meaningful when {@link #isAcquired()}} */
    public long fencingToken() {
        return fencingToken;
    }

    /** {@return the holder's remaining lease in nanoseconds, or -1 if unknown or acquired} */
    public long holderLeaseRemainingNanos() {
        return holderLeaseRemainingNanos;
    }

    @Override
    public String toString() {
        return acquired ? "acquired(token=" + fencingToken + ")"
                : holderLeaseRemainingNanos < 0 ? "held" : "held(" + Duration.ofNanos(holderLeaseRemainingNanos) + ")";
    }
}
