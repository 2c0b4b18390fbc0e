package io.distlock.hazelcast;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code hazelcast://[user:password@]host:port[,host:port...][?cluster=NAME&map=MAP&connectTimeout=10s&renewalBatchSize=N]}
 * ({@code renewalBatchSize}: see {@link HazelcastLockManager.Builder#renewalBatchSize(int)}), plus the
 * common {@code lease}, {@code renewal}, {@code timeout} and {@code prefix} parameters: a manager with its own
 * Hazelcast client, shut down when the manager closes. {@code cluster} defaults to {@code dev}, {@code map} to
 * {@value HazelcastLockManager#DEFAULT_MAP_NAME}, {@code connectTimeout} (how long creating the manager waits for the
 * first connection) to the operation timeout ({@code timeout}); a port defaults to 5701. Credentials only work
 * against clusters with security enabled (Enterprise). A member that refuses the cluster name or the credentials
 * fails {@link #create} with {@link io.distlock.LockConfigurationException}. Public only for
 * {@link java.util.ServiceLoader}.
 */
public final class HazelcastLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("hazelcast");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("cluster", "map", "connectTimeout", "renewalBatchSize");
    }

    @Override
    public LockManager create(LockUri uri) {
        HazelcastLockManager.Builder builder = HazelcastUriConnection.configure(uri,
                HazelcastLockManager.builder().settings(uri.settings()), "lock");
        uri.parameter("map").ifPresent(builder::mapName);
        uri.parameter("renewalBatchSize").ifPresent(value -> {
            int locks;
            try {
                locks = Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid hazelcast lock URI '" + uri + "': parameter "
                        + "'renewalBatchSize' must be a whole number of locks, got '" + value + "'", e);
            }
            try {
                builder.renewalBatchSize(locks);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid hazelcast lock URI '" + uri + "': " + e.getMessage(), e);
            }
        });
        return builder.build();
    }
}
