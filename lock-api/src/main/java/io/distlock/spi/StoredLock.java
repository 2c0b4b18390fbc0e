package io.distlock.spi;

import java.util.Objects;

/**
 * One lock as a backend's store holds it right now, for {@link LockInspection}: the prefixed key, the owner string
 * the core gave the holding acquisition (which carries its description: manager, thread, time), the fencing
 * token of that acquisition and how much of its lease is left. Immutable.
 *
 * @param key the prefixed key, as the core passes keys to {@link LockBackend}
 * @param owner the holding owner, exactly as stored
 * @param fencingToken the fencing token of the holding acquisition (positive), or 0 where the store cannot tell it
 *                     without a second request
 * @param leaseRemainingNanos the holder's remaining lease as the store sees it, or -1 for a lock that lives as long
 *                            as its holder's session (ZooKeeper)
 */
public record StoredLock(String key, String owner, long fencingToken, long leaseRemainingNanos) {

    /**
     * Checks the parts.
     *
     * @param key see the record
     * @param owner see the record
     * @param fencingToken see the record
     * @param leaseRemainingNanos see the record
     *
     * @throws NullPointerException if {@code key} or {@code owner} is null
     * @throws IllegalArgumentException if the token is negative or the lease is below -1
     */
    public StoredLock {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        if (fencingToken < 0) {
            throw new IllegalArgumentException("fencing tokens are not negative, got " + fencingToken);
        }
        if (leaseRemainingNanos < -1) {
            throw new IllegalArgumentException("remaining lease is -1 (session-bound) or more, got "
                    + leaseRemainingNanos);
        }
    }
}
