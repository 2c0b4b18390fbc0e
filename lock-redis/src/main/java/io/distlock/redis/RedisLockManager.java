package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.BaseConfig;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.ClusterServersConfig;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SentinelServersConfig;
import org.redisson.config.SingleServerConfig;
import org.redisson.config.SubscriptionMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        private enum Mode { SINGLE, SENTINEL, CLUSTER }

        private RedissonClient client;
        private Mode mode;
        private final List<String> addresses = new ArrayList<>();
        private String masterName;
        private String username;
        private String password;
        private Integer database;
        private boolean tls;
        private BiConsumer<Config, BaseConfig<?>> customizer;
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
            setMode(Mode.SINGLE, List.of(Objects.requireNonNull(address, "address must not be null")));
            return this;
        }

        /** A Sentinel-managed master called {@code masterName}, found through these sentinels ({@code host:port}). */
        public Builder sentinel(String masterName, String... sentinelAddresses) {
            Objects.requireNonNull(masterName, "masterName must not be null");
            if (masterName.isBlank()) {
                throw new IllegalArgumentException("Sentinel master name must not be blank");
            }
            setMode(Mode.SENTINEL, List.of(sentinelAddresses));
            this.masterName = masterName;
            return this;
        }

        /** A Redis Cluster, discovered from one or more of its nodes ({@code host:port}). */
        public Builder cluster(String... nodeAddresses) {
            setMode(Mode.CLUSTER, List.of(nodeAddresses));
            return this;
        }

        private void setMode(Mode mode, List<String> addresses) {
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("at least one Redis address is needed");
            }
            for (String address : addresses) {
                Objects.requireNonNull(address, "Redis addresses must not be null");
                if (address.isBlank()) {
                    throw new IllegalArgumentException("Redis address must not be blank");
                }
            }
            this.mode = mode;
            this.addresses.clear();
            this.addresses.addAll(addresses);
        }

        /** The ACL user (Redis 6+); without it, the password authenticates the {@code default} user. */
        public Builder username(String username) {
            this.username = Objects.requireNonNull(username, "username must not be null");
            return this;
        }

        /** The password ({@code requirepass} or the ACL user's). Never logged. */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password must not be null");
            return this;
        }

        /** The logical database (single server and Sentinel only; Cluster has just database 0). Default 0. */
        public Builder database(int database) {
            if (database < 0) {
                throw new IllegalArgumentException("database must not be negative, got " + database);
            }
            this.database = database;
            return this;
        }

        /**
         * Connects with TLS ({@code rediss://}) to addresses given without a scheme. The JVM's default trust store
         * verifies the server; use {@link #configure} for another trust store or client certificates.
         */
        public Builder tls(boolean tls) {
            this.tls = tls;
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
            this.customizer = Objects.requireNonNull(customizer, "customizer must not be null");
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
                if (mode != null || username != null || password != null || database != null || tls
                        || customizer != null) {
                    throw new IllegalStateException("connection settings (address, sentinel, cluster, username, "
                            + "password, database, tls, configure) apply only when the manager builds its own "
                            + "client, not together with client(...)");
                }
                return create(client, false, "redis (caller's client)");
            }
            if (mode == null) {
                throw new IllegalStateException("give either client(...) or one of address(...), sentinel(...), "
                        + "cluster(...)");
            }
            if (mode == Mode.CLUSTER && database != null && database != 0) {
                throw new IllegalStateException("Redis Cluster has only database 0, got database " + database);
            }
            String description = describe();
            Config config = config();
            RedissonClient owned;
            try {
                owned = Redisson.create(config);
            } catch (RuntimeException e) {
                throw new LockBackendException("could not connect to " + description + ": " + e.getMessage(), e);
            }
            try {
                return create(owned, true, description);
            } catch (RuntimeException e) {
                owned.shutdown();
                throw e;
            }
        }

        private LockManager create(RedissonClient redisson, boolean owns, String description) {
            return LockManagerCore.create(new RedisLockBackend(redisson, owns, description,
                    settings.operationTimeout(), fenceRetention), settings);
        }

        private String describe() {
            return switch (mode) {
                case SINGLE -> "redis " + addresses.get(0);
                case SENTINEL -> "redis-sentinel master '" + masterName + "' via " + addresses;
                case CLUSTER -> "redis-cluster " + addresses;
            };
        }

        Config config() {
            Config config = new Config();
            // Scripts and the topic name their codec; this only keeps stray uses of the client readable.
            config.setCodec(StringCodec.INSTANCE);
            int timeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, settings.operationTimeout().toMillis()));
            String[] uris = addresses.stream().map(a -> uri(a, mode == Mode.SENTINEL ? 26379 : 6379))
                    .toArray(String[]::new);
            BaseConfig<?> servers;
            switch (mode) {
                case SINGLE -> {
                    SingleServerConfig single = config.useSingleServer().setAddress(uris[0])
                            // A lock manager needs few connections at rest; Redisson's default keeps 24 open.
                            .setConnectionMinimumIdleSize(2);
                    if (database != null) {
                        single.setDatabase(database);
                    }
                    common(single, timeout);
                    servers = single;
                }
                case SENTINEL -> {
                    SentinelServersConfig sentinel = config.useSentinelServers().setMasterName(masterName)
                            .addSentinelAddress(uris)
                            // Redisson refuses fewer than two sentinels by default; running one is the operator's
                            // choice, and the test setup does.
                            .setCheckSentinelsList(false)
                            .setScanInterval(1000);
                    if (database != null) {
                        sentinel.setDatabase(database);
                    }
                    masterOnly(sentinel);
                    common(sentinel, timeout);
                    servers = sentinel;
                }
                case CLUSTER -> {
                    ClusterServersConfig cluster = config.useClusterServers().addNodeAddress(uris)
                            .setScanInterval(1000);
                    masterOnly(cluster);
                    common(cluster, timeout);
                    servers = cluster;
                }
                default -> throw new AssertionError(mode);
            }
            if (customizer != null) {
                customizer.accept(config, servers);
            }
            return config;
        }

        /** Locks live on masters: replicas are never asked, so keep their pools small. */
        private static void masterOnly(BaseMasterSlaveServersConfig<?> config) {
            config.setReadMode(ReadMode.MASTER)
                    .setSubscriptionMode(SubscriptionMode.MASTER)
                    .setMasterConnectionMinimumIdleSize(2)
                    .setSlaveConnectionMinimumIdleSize(1);
        }

        private void common(BaseConfig<?> config, int timeout) {
            config.setTimeout(timeout)
                    // Background reconnects may take longer than one call may; calls are bounded separately.
                    .setConnectTimeout(Math.max(timeout, 1000))
                    // No retries: a re-sent script may run twice, and a retry would outlast the operation timeout.
                    .setRetryAttempts(0)
                    // Finds a dead connection within a second instead of at the next lock call.
                    .setPingConnectionInterval(1000)
                    .setKeepAlive(true);
            if (username != null) {
                config.setUsername(username);
            }
            if (password != null) {
                config.setPassword(password);
            }
        }

        private String uri(String address, int defaultPort) {
            String a = address.trim();
            String scheme = tls ? "rediss://" : "redis://";
            if (a.startsWith("redis://") || a.startsWith("rediss://")) {
                if (tls && a.startsWith("redis://")) {
                    throw new IllegalArgumentException("tls(true) conflicts with the plain address " + a);
                }
                scheme = a.substring(0, a.indexOf("://") + 3);
                a = a.substring(scheme.length());
            } else if (a.contains("://")) {
                throw new IllegalArgumentException("Redis address must be host:port, redis://host:port or "
                        + "rediss://host:port, got " + address);
            }
            if (a.contains("@") || a.contains("/")) {
                throw new IllegalArgumentException("Redis address must be host:port without credentials or path "
                        + "(use username(...) and password(...)), got " + a.replaceAll(".*@", "***@"));
            }
            int colon = a.lastIndexOf(':');
            boolean hasPort = colon > a.lastIndexOf(']');
            if (hasPort) {
                String port = a.substring(colon + 1);
                try {
                    int p = Integer.parseInt(port);
                    if (p < 1 || p > 65535) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("Redis address " + a + " has an invalid port '" + port + "'");
                }
            }
            return scheme + (hasPort ? a : a + ":" + defaultPort);
        }
    }
}
