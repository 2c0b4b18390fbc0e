package io.distlock.zookeeper;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code zookeeper://[user:password@]host:port[,host:port...][/namespace][?sessionTimeout=..&connectionTimeout=..]}
 * plus the common {@code lease}, {@code timeout} and {@code prefix} parameters: a manager that owns its Curator client.
 * The path is the namespace ({@value ZooKeeperLockManager#DEFAULT_NAMESPACE} when absent); user info means digest
 * authentication with {@code CREATOR_ALL} ACLs. {@code sessionTimeout} defaults to the lease; {@code connectionTimeout}
 * (how long creating the manager waits for the first connection) to the operation timeout. Public only for {@link java.util.ServiceLoader}.
 */
public final class ZooKeeperLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("zookeeper");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("sessionTimeout", "connectionTimeout");
    }

    @Override
    public LockManager create(LockUri uri) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a zookeeper lock URI needs at least one host:port, got " + uri);
        }
        ZooKeeperLockManager.Builder builder = ZooKeeperLockManager.builder()
                .connectString(String.join(",", uri.hosts()))
                .settings(uri.settings());
        String path = uri.path();
        if (!path.isEmpty() && !"/".equals(path)) {
            builder.namespace(path);
        }
        uri.parameter("sessionTimeout").ifPresent(v -> builder.sessionTimeout(
                LockUri.parseDuration("sessionTimeout", v)));
        uri.parameter("connectionTimeout").ifPresent(v -> builder.connectionTimeout(
                LockUri.parseDuration("connectionTimeout", v)));
        if (uri.userInfo().isPresent()) {
            if (uri.password().isEmpty()) {
                throw new IllegalArgumentException("zookeeper lock URI user info must be user:password (digest), got "
                        + uri);
            }
            builder.authorization("digest", uri.userInfo().get());
        }
        return builder.build();
    }
}
