package io.distlock.zookeeper;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code zookeeper://[user:password@]host:port[,host:port...][/namespace][?sessionTimeout=..&connectionTimeout=..]}
 * for {@link io.distlock.idempotency.RecordStores}, read as {@link ZooKeeperLockProvider} reads it: the records live
 * under the same namespace as the locks of that URI ({@code /<namespace>/records}), user info is digest
 * authentication (records then get {@code CREATOR_ALL_ACL}), {@code timeout} bounds every call. The store starts its
 * own Curator client and closes it with itself. Public only for {@link java.util.ServiceLoader}.
 */
public final class ZooKeeperRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public ZooKeeperRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("zookeeper");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("sessionTimeout", "connectionTimeout");
    }

    @Override
    public RecordStore create(LockUri uri) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a zookeeper record store URI needs at least one host:port, got "
                    + uri);
        }
        ZooKeeperRecordStore.Builder builder = ZooKeeperRecordStore.builder()
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
                throw new IllegalArgumentException("zookeeper record store URI user info must be user:password "
                        + "(digest), got " + uri);
            }
            builder.authorization("digest", uri.userInfo().get());
        }
        return builder.build();
    }
}
