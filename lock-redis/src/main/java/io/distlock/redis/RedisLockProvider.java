package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The Redis URI schemes for {@link io.distlock.LockManagers}. Public only for {@link java.util.ServiceLoader}.
 * <ul>
 *   <li>{@code redis://[credentials@]host[:port][/database]} and {@code rediss://...} (TLS): one server;</li>
 *   <li>{@code redis-sentinel://[credentials@]host:port[,host:port...][/database]?master=NAME}: a
 *       Sentinel-managed master (sentinel port default 26379; the credentials are those of the data nodes);</li>
 *   <li>{@code redis-cluster://[credentials@]host:port[,host:port...]}: a Redis Cluster, from seed nodes.</li>
 * </ul>
 * Credentials are {@code user:password} (an ACL user), {@code :password} or just {@code password} (both the
 * {@code requirepass} password, as redis-cli and Lettuce read them), or {@code user:} (an ACL user without a
 * password). Messages never show any of it but the user name.
 * Sentinel and Cluster accept {@code tls=true}; all accept {@code renewalBatchSize=N} (see
 * {@link RedisLockManager.Builder#renewalBatchSize}). The common parameters ({@code lease}, {@code renewal},
 * {@code timeout}, {@code prefix}) apply to all.
 */
public final class RedisLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "redis-sentinel", "redis-cluster");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("master", "tls", "renewalBatchSize");
    }

    @Override
    public LockManager create(LockUri uri) {
        RedisLockManager.Builder builder = RedisUriConnection.configure(uri,
                RedisLockManager.builder().settings(uri.settings()));
        uri.parameter("renewalBatchSize").ifPresent(value -> {
            int locks;
            try {
                locks = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid Redis lock URI '" + uri + "': parameter "
                        + "'renewalBatchSize' must be a whole number of locks, got '" + value + "'", e);
            }
            try {
                builder.renewalBatchSize(locks);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid Redis lock URI '" + uri + "': " + e.getMessage(), e);
            }
        });
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // The builder checks the addresses; say which URI they came from (LockUri's text hides any password).
            throw new IllegalArgumentException("invalid Redis lock URI '" + uri + "': " + e.getMessage(), e);
        }
    }
}
