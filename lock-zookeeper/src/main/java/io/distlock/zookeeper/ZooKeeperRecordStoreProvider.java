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
        return ZooKeeperUriConnection.configure(uri, ZooKeeperRecordStore.builder().settings(uri.settings()),
                "record store").build();
    }
}
