package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;

import java.time.Duration;
import java.util.Objects;

/**
 * Entry point of the Hazelcast backend, on the community edition (no CP subsystem): locks live in an {@code IMap}
 * and every acquire, release and renewal is one atomic entry-processor call to the member that owns the key's
 * partition.
 * <pre>{@code
 * // On the caller's member or client (the caller shuts it down):
 * LockManager locks = HazelcastLockManager.builder().instance(hazelcastInstance).build();
 * // Or with a client the manager creates and shuts down on close():
 * LockManager locks = HazelcastLockManager.builder()
 *         .addresses("10.0.0.1:5701", "10.0.0.2:5701").clusterName("prod").build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("hazelcast://h1:5701,h2:5701?cluster=prod"))}.
 *
 * <p><b>Guarantees and their limits.</b> Locks survive the crash of a member as long as the lock map has a backup
 * (the default, one synchronous backup). Hazelcast's IMap is AP: during a network partition (split brain) both sides
 * can grant the same key until the merge; configure split-brain protection on the lock map to make the minority side
 * fail with {@link LockBackendException} once it has noticed the split, and check fencing tokens at the resource.
 * Tokens never repeat across the sides of a split (their low bits name the granting member), increase along each
 * side's history, and keep increasing after a merge or a cluster restart that lost every lock (as long as the
 * cluster clock did not step back by more than the token retention). Lease ends are judged on the granting member's
 * monotonic clock, so a step of the cluster clock (as after a member was paused) does not end a lease early.
 *
 * <p><b>Members need the entry processor class.</b> Embedded members and clients whose members run in the same JVM
 * have it; a standalone cluster needs the lock-hazelcast jar on every member's classpath, or calls fail with a
 * {@link LockBackendException} saying so.
 *
 * <p><b>Timeouts.</b> Every call returns or throws {@link LockBackendException} within
 * {@link LockSettings#operationTimeout()}; a client the manager owns is offline at once while it reconnects in the
 * background, so calls fail fast during an outage and work again after it.
 */
public final class HazelcastLockManager {

    /** The map locks live in unless {@link Builder#mapName(String)} says otherwise. */
    public static final String DEFAULT_MAP_NAME = "distlock.locks";
    /** How long a released or lapsed lock's token is kept, unless {@link Builder#tokenRetention} says otherwise. */
    public static final Duration DEFAULT_TOKEN_RETENTION = Duration.ofMinutes(1);

    /** How many locks one renewal call carries unless {@link Builder#renewalBatchSize(int)} says otherwise. */
    public static final int DEFAULT_RENEWAL_BATCH_SIZE = 1000;

    private HazelcastLockManager() {
    }

    /**
     * Starts a builder.
     *
     * @return a new builder with the defaults
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Hazelcast lock managers, either on the caller's {@link HazelcastInstance} or on a client it creates
     * from addresses. Not thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends HazelcastClientBuilder<Builder> {
        private String mapName = DEFAULT_MAP_NAME;
        private Duration tokenRetention = DEFAULT_TOKEN_RETENTION;
        private LockSettings settings = LockSettings.defaults();
        private int renewalBatchSize = DEFAULT_RENEWAL_BATCH_SIZE;

        private Builder() {
        }

        /**
         * The IMap the locks live in; default {@value #DEFAULT_MAP_NAME}. Managers that must exclude each other use
         * the same map. Configure it with a backup and without eviction (see the README).
         *
         * @param mapName the map's name
         * @return this builder
         * @throws NullPointerException if {@code mapName} is null
         * @throws IllegalArgumentException if {@code mapName} is blank
         */
        public Builder mapName(String mapName) {
            Objects.requireNonNull(mapName, "mapName must not be null");
            if (mapName.isBlank()) {
                throw new IllegalArgumentException("hazelcast map name must not be blank");
            }
            this.mapName = mapName;
            return this;
        }

        /**
         * How long a released or lapsed lock keeps its fencing token in the map (a tombstone of a few dozen bytes
         * per key). Tokens increase across the loss of an entry as long as the cluster clock does not step back by
         * more than this. Default 1 minute.
         *
         * @param tokenRetention at least 1 ms
         * @return this builder
         * @throws NullPointerException if {@code tokenRetention} is null
         * @throws IllegalArgumentException if {@code tokenRetention} is under 1 ms
         */
        public Builder tokenRetention(Duration tokenRetention) {
            Objects.requireNonNull(tokenRetention, "tokenRetention must not be null");
            if (tokenRetention.toMillis() < 1) {
                throw new IllegalArgumentException("tokenRetention must be at least 1 ms, got " + tokenRetention);
            }
            this.tokenRetention = tokenRetention;
            return this;
        }

        /**
         * How many held locks one renewal call carries; default {@value #DEFAULT_RENEWAL_BATCH_SIZE}. A batch is one
         * multi-key entry processor call: one operation per member owning some of the keys, one per partition there.
         * Hazelcast backs multi-key calls up <em>asynchronously</em>, so if a partition owner dies within moments of
         * a renewal, its backup may take over the lease as the renewal before set it, up to one renewal interval
         * shorter than the holder believes. {@code 1} renews each lock with its own call, backed up synchronously
         * like acquire and release, at one operation (and one backup) per lock.
         *
         * @param renewalBatchSize 1 to 10,000
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder renewalBatchSize(int renewalBatchSize) {
            if (renewalBatchSize < 1 || renewalBatchSize > 10_000) {
                throw new IllegalArgumentException("renewalBatchSize must be 1 to 10000, got " + renewalBatchSize);
            }
            this.renewalBatchSize = renewalBatchSize;
            return this;
        }

        /**
         * Lease, renewal, operation timeout, key prefix and ticker; default {@link LockSettings#defaults()}. The
         * operation timeout also bounds the created client's first connection unless {@link #connectTimeout} is set.
         *
         * @param settings the settings
         * @return this builder
         * @throws NullPointerException if {@code settings} is null
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Builds the manager; when it creates its client, it connects now.
         *
         * @return a running manager
         * @throws IllegalStateException if neither an instance nor addresses were given, or both
         * @throws IllegalArgumentException if, with renewal on, the operation timeout is longer than a third of the
         *     lease
         * @throws io.distlock.LockConfigurationException if the cluster refused the created client (cluster name,
         *     credentials)
         * @throws LockBackendException if the created client cannot connect within the connect timeout
         */
        public LockManager build() {
            // Before connecting: settings under which renewal cannot work fail without touching the network.
            LockManagerCore.requireRenewable(settings);
            return open("lock manager", settings.operationTimeout(),
                    (instance, ownsInstance, cluster) -> LockManagerCore.create(new HazelcastLockBackend(instance,
                            ownsInstance, mapName, settings.operationTimeout(), tokenRetention, renewalBatchSize), settings));
        }
    }
}
