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
        return ZooKeeperUriConnection.configure(uri, ZooKeeperLockManager.builder().settings(uri.settings()), "lock")
                .build();
    }
}
