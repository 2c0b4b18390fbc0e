package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.ClusterServersConfig;
import org.redisson.config.Config;
import org.redisson.config.SentinelServersConfig;
import org.redisson.config.SingleServerConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Entry point of the Redis backend: builds {@link LockManager}s whose locks exclude each other across every process
 * using the same Redis deployment (single server, Sentinel or Cluster), through the Redisson client.
 * <pre>{@code
 * LockManager locks = RedisLockManager.builder()
 *         .address("redis.internal:6379")
 *         .password(secret)
 *         .settings(LockSettings.defaults().withLease(Duration.ofSeconds(10)))
 *         .build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("redis://:secret@redis.internal:6379?lease=10s"))}.
 *
 * <p><b>Cost:</b> acquire, release and renewal are one round trip each (one Lua script); a tryLock on a key held
 * elsewhere is one round trip and never subscribes or polls; on a key held by the same manager it is none. A bounded
 * wait is woken by a release message on one pub/sub subscription that the manager shares between all its waits.
 *
 * <p><b>Guarantees</b> (see the module README for their limits): mutual exclusion as long as Redis keeps its writes
 * (a failover to a replica that missed the last writes, or a restart without persistence, can let a second holder in
 * while the first still believes it holds the lock; fencing tokens then reject the stale one). Fencing tokens
 * strictly increase per key, also across such losses, provided the servers' clocks never step back by more than the
 * time between two acquisitions of a key once its fence counter has expired (see {@link Builder#fenceRetention}).
 *
 * <p><b>Outage:</b> every call is bounded by {@link LockSettings#operationTimeout()} and then throws
 * {@link LockBackendException}; Redisson does not retry lock scripts. <b>Thread safety:</b> managers are thread safe;
 * builders are not.
 */
public final class RedisLockManager {

    /** Default lifetime of a key's fence counter after its last acquisition. */
    public static final Duration DEFAULT_FENCE_RETENTION = Duration.ofHours(1);

    private RedisLockManager() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Redis lock managers, either on a client the caller owns ({@link #client}) or on a client the manager
     * creates from connection settings ({@link #address}, {@link #sentinel} or {@link #cluster}) and closes with
     * itself. Not thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder {
        private RedissonClient client;
        private final RedisConnection connection = new RedisConnection();
        private LockSettings settings = LockSettings.defaults();
        private Duration fenceRetention = DEFAULT_FENCE_RETENTION;

        private Builder() {
        }

        /**
         * Uses the caller's client, which the caller keeps and closes after the manager. Its codec does not matter;
         * its timeouts and retries are overridden per call with the operation timeout and no retry.
         */
        public Builder client(RedissonClient client) {
            this.client = Objects.requireNonNull(client, "client must not be null");
            return this;
        }

        /** One Redis server: {@code host:port}, {@code redis://host:port} or {@code rediss://host:port}. */
        public Builder address(String address) {
            connection.single(address);
            return this;
        }

        /** A Sentinel-managed master called {@code masterName}, found through these sentinels ({@code host:port}). */
        public Builder sentinel(String masterName, String... sentinelAddresses) {
            connection.sentinel(masterName, sentinelAddresses);
            return this;
        }

        /** A Redis Cluster, discovered from one or more of its nodes ({@code host:port}). */
        public Builder cluster(String... nodeAddresses) {
            connection.cluster(nodeAddresses);
            return this;
        }

        /** The ACL user (Redis 6+); without it, the password authenticates the {@code default} user. */
        public Builder username(String username) {
            connection.username(username);
            return this;
        }

        /** The password ({@code requirepass} or the ACL user's). Never logged. */
        public Builder password(String password) {
            connection.password(password);
            return this;
        }

        /** The logical database (single server and Sentinel only; Cluster has just database 0). Default 0. */
        public Builder database(int database) {
            connection.database(database);
            return this;
        }

        /**
         * Connects with TLS ({@code rediss://}) to addresses given without a scheme. The JVM's default trust store
         * verifies the server; use {@link #configure} for another trust store or client certificates.
         */
        public Builder tls(boolean tls) {
            connection.tls(tls);
            return this;
        }

        /**
         * Adjusts the Redisson configuration the manager builds, after distlock has set its own values: called with
         * the {@link Config} (client-wide settings such as threads) and the server configuration of the chosen
         * mode ({@link SingleServerConfig}, {@link SentinelServersConfig} or {@link ClusterServersConfig}; cast for
         * mode-specific settings), for trust stores and client certificates, NAT mapping, pool sizes. Changing the
         * timeout or retries here does not weaken the operation timeout, which is enforced on every call.
         */
        public Builder configure(BiConsumer<Config, BaseConfig<?>> customizer) {
            connection.configure(customizer);
            return this;
        }

        /** Lease, renewal, operation timeout, key prefix and ticker; default {@link LockSettings#defaults()}. */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * How long a key's fence counter is kept after the key was last acquired; default one hour. Tokens are
         * {@code max(counter + 1, server time in microseconds)}: the counter keeps them increasing when the
         * server's clock steps back by less than this, at the cost of one small Redis key per recently used lock
         * key. Longer is safer against clock steps and costs more memory.
         */
        public Builder fenceRetention(Duration fenceRetention) {
            Objects.requireNonNull(fenceRetention, "fenceRetention must not be null");
            if (fenceRetention.toMillis() < 1) {
                throw new IllegalArgumentException("fenceRetention must be at least 1 ms, got " + fenceRetention);
            }
            this.fenceRetention = fenceRetention;
            return this;
        }

        /**
         * Builds the manager; when it creates its client, it connects now.
         *
         * @throws IllegalStateException if neither or both of a client and connection settings were given, or
         *     connection settings were combined with a client
         * @throws IllegalArgumentException if an address is malformed
         * @throws LockBackendException if the client could not connect within its timeouts
         */
        public LockManager build() {
            if (client != null) {
                if (connection.anySet()) {
                    throw new IllegalStateException("connection settings (address, sentinel, cluster, username, "
                            + "password, database, tls, configure) apply only when the manager builds its own "
                            + "client, not together with client(...)");
                }
                return create(client, false, "redis (caller's client)");
            }
            RedissonClient owned = connection.connect(settings.operationTimeout());
            try {
                return create(owned, true, connection.describe());
            } catch (RuntimeException e) {
                owned.shutdown();
                throw e;
            }
        }

        private LockManager create(RedissonClient redisson, boolean owns, String description) {
            return LockManagerCore.create(new RedisLockBackend(redisson, owns, description,
                    settings.operationTimeout(), fenceRetention), settings);
        }
    }
}
