package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;

import java.time.Duration;
import java.util.Objects;

/**
 * Entry point of the Hazelcast {@link RecordStore} for {@code lock-idempotency}: the records behind idempotency keys
 * and one-time tokens, in an {@code IMap} of the same cluster as the locks, on the community edition.
 * <pre>{@code
 * HazelcastInstance hz = ...;                          // shared with the lock manager
 * LockManager locks = HazelcastLockManager.builder().instance(hz).build();
 * RecordStore store = HazelcastRecordStore.builder().instance(hz).build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 *
 * <p><b>Cost:</b> one call to the key's partition owner per operation, atomic there. Through a client, {@code get}
 * and {@code putIfAbsent} are Hazelcast's own {@code get} and {@code putIfAbsent(key, value, ttl)}: idempotency keys
 * use only these two, so they need no distlock class on the members. {@code replace} and {@code remove} (one-time
 * tokens) run a small entry processor, which writes the new value with its ttl in one step and compares bytes; it
 * needs the lock-hazelcast jar on the members, as locks do. On a member every operation is that processor.
 *
 * <p><b>Guarantees:</b> records expire after their ttl on the partition owner's clock; an entry past its ttl is
 * absent for every operation, even before Hazelcast removes it. A record survives the crash of one member as long as
 * the map has a backup (the default). The map is AP: during a split brain both sides can accept the same key, and
 * after the merge one side's record wins; a later retry may then replay the other side's result or run again (the
 * lock's fencing token still keeps concurrent runs apart). Configure the map as the lock map: a backup, no eviction.
 *
 * <p><b>Outage:</b> every call returns or throws {@link LockBackendException} within the operation timeout; a write
 * that timed out has an unknown outcome. <b>Thread safety:</b> stores are thread safe; builders are not.
 */
public final class HazelcastRecordStore {

    /** The map records live in unless {@link Builder#mapName(String)} says otherwise. */
    public static final String DEFAULT_MAP_NAME = "distlock.records";

    /**
     * Default largest value: 1 MiB, twice the idempotency kit's default result limit (512 KiB). A record is copied
     * on the partition thread (which serves every other key of its partitions, locks included), kept in the heap of
     * its owner and of its backup, and must cross the network within the operation timeout. Store a reference to a
     * large result, not the result.
     */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

    /** The largest {@link Builder#maxValueBytes} accepted: 16 MiB. */
    public static final int MAX_VALUE_BYTES_LIMIT = 16 * 1024 * 1024;

    private HazelcastRecordStore() {
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
     * Builds Hazelcast record stores, either on the caller's {@link HazelcastInstance} (member or client; the caller
     * shuts it down after closing the store) or on a client the store creates from addresses and shuts down on
     * {@link RecordStore#close()}. The client settings mean what they mean for {@link HazelcastLockManager.Builder}.
     * Not thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends HazelcastClientBuilder<Builder> {
        private Duration operationTimeout = LockSettings.DEFAULT_OPERATION_TIMEOUT;
        private String mapName = DEFAULT_MAP_NAME;
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;

        private Builder() {
        }
        /**
         * The longest one call may take before {@link LockBackendException}; default 3 s, as for locks. Also bounds
         * the created client's first connection unless {@link #connectTimeout} is set.
         *
         * @param operationTimeout a positive duration
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
         * The IMap the records live in; default {@value #DEFAULT_MAP_NAME}. Stores that must see each other's records
         * use the same map; applications sharing a cluster use different maps. Configure it with a backup and without
         * eviction (see the README).
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
         * The largest value the store accepts (default {@link #DEFAULT_MAX_VALUE_BYTES}); larger ones are refused
         * with {@link IllegalArgumentException} before anything is sent.
         *
         * @param maxValueBytes the limit in bytes
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
         * Builds the store; when it creates its client, it connects now.
         *
         * @return a running store
         * @throws IllegalStateException if neither an instance nor addresses were given, or both
         * @throws io.distlock.LockConfigurationException if the cluster refused the created client (cluster name,
         *     credentials)
         * @throws LockBackendException if the created client cannot connect within the connect timeout
         */
        public RecordStore build() {
            return open("record store", operationTimeout,
                    (instance, ownsInstance, cluster) -> new HazelcastRecords(instance, ownsInstance,
                            "hazelcast:" + mapName + (cluster == null ? "" : "@" + cluster), mapName, maxValueBytes,
                            operationTimeout));
        }
    }
}
