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
 * fail with {@link LockBackendException} instead, and check fencing tokens at the resource. Fencing tokens come from a
 * per-key counter combined with the cluster clock, so they keep increasing after a cluster restart that lost every
 * lock (as long as the cluster clock did not step back by more than the token retention).
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

    private HazelcastLockManager() {
    }

    /**
     * Starts a builder; an instance or addresses are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Hazelcast lock managers, either on the caller's {@link HazelcastInstance} or on a client it creates
     * from addresses. Not thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder {
        private final HazelcastConnection connection = new HazelcastConnection();
        private String mapName = DEFAULT_MAP_NAME;
        private Duration tokenRetention = DEFAULT_TOKEN_RETENTION;
        private LockSettings settings = LockSettings.defaults();

        private Builder() {
        }

        /**
         * Uses the caller's member or client; the caller shuts it down (after closing the manager). Excludes the
         * client settings ({@link #addresses}, {@link #clusterName}, {@link #credentials}).
         *
         * @param instance the caller's member or client
         * @return this builder
         */
        public Builder instance(HazelcastInstance instance) {
            connection.instance(instance);
            return this;
        }

        /**
         * The {@code host:port} addresses of some members, for a client the manager creates and shuts down on close.
         * Adds to earlier addresses.
         *
         * @param addresses {@code host:port} of members
         * @return this builder
         */
        public Builder addresses(String... addresses) {
            connection.addresses(addresses);
            return this;
        }

        /**
         * The cluster name the created client joins; default {@code dev}, as Hazelcast's.
         *
         * @param clusterName the cluster's name
         * @return this builder
         */
        public Builder clusterName(String clusterName) {
            connection.clusterName(clusterName);
            return this;
        }

        /**
         * User name and password for the created client. Only for clusters with security enabled (Enterprise): a
         * community member rejects a client that sends credentials.
         *
         * @param username the user name
         * @param password the password; never logged
         * @return this builder
         */
        public Builder credentials(String username, String password) {
            connection.credentials(username, password);
            return this;
        }

        /**
         * How long {@link #build()} waits for the created client's first connection; default 10 seconds.
         *
         * @param connectTimeout the longest wait for the first connection
         * @return this builder
         */
        public Builder connectTimeout(Duration connectTimeout) {
            connection.connectTimeout(connectTimeout);
            return this;
        }

        /**
         * The IMap the locks live in; default {@value #DEFAULT_MAP_NAME}. Managers that must exclude each other use
         * the same map. Configure it with a backup and without eviction (see the README).
         *
         * @param mapName the map's name
         * @return this builder
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
         * @param tokenRetention how long tokens outlive their lock
         * @return this builder
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
         * Lease, renewal, operation timeout, key prefix and ticker; default {@link LockSettings#defaults()}.
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Builds the manager.
         *
         * @return the manager; it shuts down its own client, not a caller's instance
         * @throws IllegalStateException if neither an instance nor addresses were given, or both
         * @throws LockBackendException if the created client cannot connect within the connect timeout
         */
        public LockManager build() {
            return connection.open("lock manager", settings.operationTimeout(),
                    (instance, ownsInstance, cluster) -> LockManagerCore.create(new HazelcastLockBackend(instance,
                            ownsInstance, mapName, settings.operationTimeout(), tokenRetention), settings));
        }
    }
}
