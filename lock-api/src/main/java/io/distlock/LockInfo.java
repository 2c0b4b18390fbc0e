package io.distlock;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the store says about one held lock, for operators: who holds it, since when, with which fencing token and
 * how much of its lease is left. A snapshot taken by {@link LockInspector}; immutable and safe to share.
 *
 * <p>The description ({@link #managerName()}, {@link #threadName()}, {@link #acquiredAt()}) is written by the
 * acquiring manager in the same request that takes the lock. {@code acquiredAt} is the acquiring process's wall clock,
 * so it is only as right as that clock; the remaining lease is the store's own view. Locks written by a version of
 * distlock that stored no description show {@code "unknown"} names and no time.
 *
 * @param key the lock key as the application passed it (without the manager's key prefix)
 * @param ownerId the unique id of the holding acquisition (the same id for every read while it holds)
 * @param managerName the holding manager's name (by default host name and process id), or {@code "unknown"}
 * @param threadName the name of the thread that acquired it, or {@code "unknown"}
 * @param acquiredAt when it was acquired, by the acquiring process's clock, if it was recorded
 * @param fencingToken the fencing token of the holding acquisition, or 0 if the store cannot tell it cheaply
 * @param leaseRemaining how long the lock lives unless renewed, or empty for a lock bound to its holder's session
 *                       (ZooKeeper)
 */
public record LockInfo(String key, String ownerId, String managerName, String threadName,
                       Optional<Instant> acquiredAt, long fencingToken, Optional<Duration> leaseRemaining) {

    /**
     * Checks the parts.
     *
     * @param key see the record
     * @param ownerId see the record
     * @param managerName see the record
     * @param threadName see the record
     * @param acquiredAt see the record
     * @param fencingToken see the record
     * @param leaseRemaining see the record
     *
     * @throws NullPointerException if any part is null
     */
    public LockInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ownerId, "ownerId");
        Objects.requireNonNull(managerName, "managerName");
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(acquiredAt, "acquiredAt");
        Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    }
}
