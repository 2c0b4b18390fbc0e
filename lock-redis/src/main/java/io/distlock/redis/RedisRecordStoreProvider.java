package io.distlock.redis;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The Redis URI schemes for {@link io.distlock.idempotency.RecordStores}: the same {@code redis://},
 * {@code rediss://}, {@code redis-sentinel://} and {@code redis-cluster://} URIs, with the same meaning, as
 * {@link RedisLockProvider} takes. The store gets its own Redisson client, closed with it; {@code timeout} bounds
 * every record operation and {@code prefix} is put before every record key, as before lock keys. Public only for
 * {@link java.util.ServiceLoader}.
 */
public final class RedisRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public RedisRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "redis-sentinel", "redis-cluster");
    }

    /** The lock URI's parameters: one URI configures both; {@code renewalBatchSize} only concerns locks. */
    @Override
    public Set<String> parameters() {
        return Set.of("master", "tls", "renewalBatchSize");
    }

    @Override
    public RecordStore create(LockUri uri) {
        RedisRecordStore.Builder builder = RedisUriConnection.configure(uri, RedisRecordStore.builder())
                .operationTimeout(uri.settings().operationTimeout())
                .keyPrefix(uri.settings().keyPrefix());
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid Redis record store URI '" + uri + "': " + e.getMessage(), e);
        }
    }
}
