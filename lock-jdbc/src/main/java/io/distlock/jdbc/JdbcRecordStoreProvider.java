package io.distlock.jdbc;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The {@code jdbc:} URIs for {@link io.distlock.idempotency.RecordStores}: the same URI, with the same meaning, as
 * {@link JdbcLockProvider} takes, e.g. {@code jdbc:postgresql://db:5432/app?user=app&password=secret&timeout=2s}.
 * The store gets its own HikariCP pool (of {@code poolSize} connections, default 10), closed with it; {@code timeout}
 * bounds every record operation and {@code createSchema=true} creates the tables. The lock-only parameters
 * ({@code lease}, {@code renewal}) are accepted and ignored, and {@code prefix} too: record keys are not prefixed on
 * this backend (the idempotency kit scopes its keys itself). Every other parameter goes to the driver. Public only
 * for {@link java.util.ServiceLoader}.
 */
public final class JdbcRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public JdbcRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("jdbc");
    }

    @Override
    public RecordStore create(LockUri uri) {
        JdbcUrls parsed = JdbcUrls.parse(uri.uri().toString(), uri.settings());
        JdbcRecordStore.Builder builder = JdbcRecordStore.builder().url(parsed.url)
                .operationTimeout(parsed.settings.operationTimeout()).createSchema(parsed.createSchema);
        parsed.driverProperties.forEach(builder::property);
        if (parsed.poolSize != null) {
            builder.poolSize(parsed.poolSize);
        }
        return builder.build();
    }
}
