package io.distlock.jdbc;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The {@code jdbc:} URIs for {@link io.distlock.LockManagers}, e.g.
 * {@code jdbc:postgresql://db:5432/app?user=app&password=secret&lease=10s}. Public only for
 * {@link java.util.ServiceLoader}. The distlock parameters ({@code lease}, {@code renewal}, {@code timeout},
 * {@code prefix}, {@code name}, {@code poolSize}, {@code createSchema}) are taken out; every other parameter goes to the driver as
 * a connection property, so {@code user}, {@code password} and TLS options ({@code sslmode}, ...) work as the
 * driver documents them, and the driver (not distlock) decides what an unknown one means. The manager owns a
 * HikariCP pool. H2 URLs, whose own options follow {@code ;}, take the distlock parameters after a {@code ?} too.
 */
public final class JdbcLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("jdbc");
    }

    @Override
    public LockManager create(LockUri uri) {
        // java.net.URI sees no query in an opaque jdbc: URI, so uri.settings() are the caller's customized defaults
        // (listeners, a ticker...): the URL's own parameters go on top of them.
        JdbcUrls parsed = JdbcUrls.parse(uri.uri().toString(), uri.settings());
        JdbcLockManager.Builder builder = JdbcLockManager.builder().url(parsed.url).settings(parsed.settings)
                .createSchema(parsed.createSchema);
        parsed.driverProperties.forEach(builder::property);
        if (parsed.poolSize != null) {
            builder.poolSize(parsed.poolSize);
        }
        return builder.build();
    }
}
