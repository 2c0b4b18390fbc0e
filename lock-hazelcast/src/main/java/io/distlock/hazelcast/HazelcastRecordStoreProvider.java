package io.distlock.hazelcast;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code hazelcast://[user:password@]host:port[,host:port...][?cluster=NAME&map=MAP&connectTimeout=10s]} for
 * {@link io.distlock.idempotency.RecordStores}, read as {@link HazelcastLockProvider} reads it, with its own
 * Hazelcast client that the store shuts down on close. The records live in the IMap
 * {@value HazelcastRecordStore#DEFAULT_MAP_NAME}, or in {@code MAP.records} when the URI names the lock map
 * {@code MAP}, so that applications which keep their locks apart with {@code map} keep their records apart too.
 * {@code timeout} bounds every call; the Hazelcast store has no key prefix, so {@code prefix} applies to locks only.
 * Public only for {@link java.util.ServiceLoader}.
 */
public final class HazelcastRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public HazelcastRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("hazelcast");
    }

    @Override
    public Set<String> parameters() {
        // renewalBatchSize: accepted so that one URI configures both; it only concerns locks.
        return Set.of("cluster", "map", "connectTimeout", "renewalBatchSize");
    }

    @Override
    public RecordStore create(LockUri uri) {
        HazelcastRecordStore.Builder builder = HazelcastUriConnection.configure(uri,
                HazelcastRecordStore.builder().operationTimeout(uri.settings().operationTimeout()), "record store");
        uri.parameter("map").ifPresent(map -> {
            if (map.isBlank()) {
                throw new IllegalArgumentException("hazelcast map name must not be blank, got " + uri);
            }
            builder.mapName(map + ".records");
        });
        return builder.build();
    }
}
