package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;

import java.time.Duration;
import java.util.Objects;

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

    /** {@return a new builder with the default limits and no client or server chosen yet} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Redis record stores, either on a client the caller owns ({@link #client}) or on a client the store
     * creates from connection settings ({@link #address}, {@link #sentinel} or {@link #cluster}) and closes with
     * itself; the connection options mean what they mean for {@link RedisLockManager.Builder}. Not thread safe;
     * {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends RedisClientBuilder<Builder> {
        private Duration operationTimeout = LockSettings.DEFAULT_OPERATION_TIMEOUT;
        private String keyPrefix = "";
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;

        private Builder() {
        }

        /**
         * The longest one call may take before {@link LockBackendException}; default 3 s, as for locks.
         *
         * @param operationTimeout the timeout of one call
         * @return this builder
         * @throws NullPointerException if {@code operationTimeout} is null
         * @throws IllegalArgumentException if {@code operationTimeout} is not positive
         */
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
         *
         * @param keyPrefix the prefix, possibly empty
         * @return this builder
         * @throws NullPointerException if {@code keyPrefix} is null
         */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
            return this;
        }

        /**
         * The largest value the store accepts (default {@link #DEFAULT_MAX_VALUE_BYTES}); larger ones are refused
         * with {@link IllegalArgumentException} before anything is sent.
         *
         * @param maxValueBytes the largest value in bytes
         * @return this builder
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
         * Builds the store; when it creates its client, it connects now, so that a wrong address or password shows
         * here rather than at the first record.
         *
         * @return a new store; it closes the client it created, never the caller's
         * @throws IllegalStateException if neither a client nor a server ({@code address}, {@code sentinel},
         *     {@code cluster}) was given, a client was combined with connection settings, or a database other than
         *     0 was given for a Cluster
         * @throws IllegalArgumentException if an address is malformed (host, port, scheme, credentials or path in
         *     it), or {@code tls(true)} was combined with a {@code redis://} address
         * @throws io.distlock.LockConfigurationException if Redis answered but refused the configuration (wrong or
         *     missing password, unknown database, failed TLS handshake); the first line of the message says which
         * @throws LockBackendException if Redis could not be reached within the
         *     timeouts (no retries: the cause says why)
         */
        public RecordStore build() {
            return build("store", operationTimeout, (client, owns, failures) ->
                    new RedisRecords(client, owns, failures, keyPrefix, maxValueBytes, operationTimeout));
        }
    }
}
