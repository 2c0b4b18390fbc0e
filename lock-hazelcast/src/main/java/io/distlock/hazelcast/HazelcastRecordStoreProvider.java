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
        return Set.of("cluster", "map", "connectTimeout");
    }

    @Override
    public RecordStore create(LockUri uri) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a hazelcast record store URI needs at least one member address: "
                    + "hazelcast://host:port[,host:port]?cluster=NAME, got " + uri);
        }
        if (!uri.path().isEmpty() && !uri.path().equals("/")) {
            throw new IllegalArgumentException("a hazelcast record store URI has no path (use ?map=NAME), got "
                    + uri);
        }
        HazelcastRecordStore.Builder builder = HazelcastRecordStore.builder()
                .operationTimeout(uri.settings().operationTimeout());
        for (String host : uri.hosts()) {
            boolean hasPort = host.startsWith("[") ? host.contains("]:") : host.contains(":");
            builder.addresses(hasPort ? host : host + ":5701");
        }
        uri.parameter("cluster").ifPresent(builder::clusterName);
        uri.parameter("map").ifPresent(map -> {
            if (map.isBlank()) {
                throw new IllegalArgumentException("hazelcast map name must not be blank, got " + uri);
            }
            builder.mapName(map + ".records");
        });
        uri.parameter("connectTimeout").ifPresent(
                text -> builder.connectTimeout(LockUri.parseDuration("connectTimeout", text)));
        if (uri.userInfo().isPresent()) {
            builder.credentials(uri.user().orElse(""), uri.password().orElse(""));
        }
        return builder.build();
    }
}
