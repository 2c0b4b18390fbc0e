package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.Config;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Entry point of the Redis {@link RecordStore} for {@code lock-idempotency}: the records behind idempotency keys and
 * one-time tokens, on the same Redis deployment as the locks (single server, Sentinel or Cluster).
 * <pre>{@code
 * RedissonClient redisson = ...;                       // shared with the lock manager
 * LockManager locks = RedisLockManager.builder().client(redisson).build();
 * RecordStore store = RedisRecordStore.builder().client(redisson).build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 *
 * <p><b>Cost:</b> one round trip per operation: {@code putIfAbsent} is {@code SET key value PX ttl NX},
 * {@code get} is {@code GET}, {@code replace} and {@code remove} are one short Lua script each (compare the stored
 * bytes, then {@code SET ... PX} or {@code DEL}). A record is one Redis string key, expiring with its ttl on the
 * server's clock; in a Cluster each record lives in the slot of its own hash tag.
 *
 * <p><b>Guarantees:</b> each operation is atomic on the server. A record survives as long as Redis keeps its writes:
 * a restart without persistence or a failover to a replica that missed the last writes loses records, so a retry
 * of an idempotent request may then run again (the lock and its fencing token still keep concurrent runs apart).
 *
 * <p><b>Outage:</b> every call is bounded by the operation timeout and then throws {@link LockBackendException};
 * calls are never retried by the client, so a write that timed out has an unknown outcome. <b>Misuse:</b> a null
 * argument throws {@link NullPointerException}, a value over {@link RecordStore#maxValueBytes()} or a non-positive
 * ttl {@link IllegalArgumentException} (before anything is sent), a call after {@code close()}
 * {@link IllegalStateException}. <b>Thread safety:</b> stores are thread safe; builders are not.
 */
public final class RedisRecordStore {

    /**
     * Default largest value: 1 MiB, twice the idempotency kit's default result limit (512 KiB). Redis runs commands
     * one at a time, so a large record delays every other command of the server, locks included, while it is copied
     * (a replace script holds the expected and the new value at once); and it must cross the network within the
     * operation timeout. Idempotency records should hold a reference to a result, not a blob.
     */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

    /** The largest {@link Builder#maxValueBytes} accepted: 16 MiB, already tens of milliseconds of server time. */
    public static final int MAX_VALUE_BYTES_LIMIT = 16 * 1024 * 1024;

    private RedisRecordStore() {
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Redis record stores, either on a client the caller owns ({@link #client}) or on a client the store
     * creates from connection settings ({@link #address}, {@link #sentinel} or {@link #cluster}) and closes with
     * itself; the connection options mean what they mean for {@link RedisLockManager.Builder}. Not thread safe;
     * {@link #build()} may be called repeatedly.
     */
    public static final class Builder {
        private RedissonClient client;
        private final RedisConnection connection = new RedisConnection();
        private Duration operationTimeout = LockSettings.DEFAULT_OPERATION_TIMEOUT;
        private String keyPrefix = "";
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;

        private Builder() {
        }

        /**
         * Uses the caller's client (for example the one a {@link RedisLockManager} uses), which the caller keeps and
         * closes after the store. Its codec does not matter; its timeouts and retries are overridden per call with
         * the operation timeout and no retry.
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

        /** Connects with TLS ({@code rediss://}) to addresses given without a scheme. */
        public Builder tls(boolean tls) {
            connection.tls(tls);
            return this;
        }

        /** Adjusts the Redisson configuration the store builds; see {@link RedisLockManager.Builder#configure}. */
        public Builder configure(BiConsumer<Config, BaseConfig<?>> customizer) {
            connection.configure(customizer);
            return this;
        }

        /** The longest one call may take before {@link LockBackendException}; default 3 s, as for locks. */
        public Builder operationTimeout(Duration operationTimeout) {
            Objects.requireNonNull(operationTimeout, "operationTimeout must not be null");
            if (operationTimeout.isNegative() || operationTimeout.isZero()) {
                throw new IllegalArgumentException("operationTimeout must be positive, got " + operationTimeout);
            }
            this.operationTimeout = operationTimeout;
            return this;
        }

        /**
         * Put before every record key, so that applications sharing a Redis deployment keep their records apart
         * (as {@link LockSettings#keyPrefix()} does for locks). Default none.
         */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
            return this;
        }

        /**
         * The largest value the store accepts (default {@link #DEFAULT_MAX_VALUE_BYTES}); larger ones are refused
         * with {@link IllegalArgumentException} before anything is sent.
         *
         * @throws IllegalArgumentException unless between 1 and {@link #MAX_VALUE_BYTES_LIMIT}
         */
        public Builder maxValueBytes(int maxValueBytes) {
            if (maxValueBytes < 1 || maxValueBytes > MAX_VALUE_BYTES_LIMIT) {
                throw new IllegalArgumentException("maxValueBytes must be between 1 and " + MAX_VALUE_BYTES_LIMIT
                        + ", got " + maxValueBytes);
            }
            this.maxValueBytes = maxValueBytes;
            return this;
        }

        /**
         * Builds the store; when it creates its client, it connects now.
         *
         * @throws IllegalStateException if neither a client nor connection settings were given, or both
         * @throws IllegalArgumentException if an address is malformed
         * @throws LockBackendException if the client could not connect within its timeouts
         */
        public RecordStore build() {
            if (client != null) {
                if (connection.anySet()) {
                    throw new IllegalStateException("connection settings (address, sentinel, cluster, username, "
                            + "password, database, tls, configure) apply only when the store builds its own "
                            + "client, not together with client(...)");
                }
                return new RedisRecords(client, false, "redis (caller's client)", keyPrefix, maxValueBytes,
                        operationTimeout);
            }
            RedissonClient owned = connection.connect(operationTimeout);
            try {
                return new RedisRecords(owned, true, connection.describe(), keyPrefix, maxValueBytes,
                        operationTimeout);
            } catch (RuntimeException e) {
                owned.shutdown();
                throw e;
            }
        }
    }
}
