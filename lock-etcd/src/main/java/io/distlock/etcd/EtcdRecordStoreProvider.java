package io.distlock.etcd;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code etcd://[user:password@]host:port[,host:port...][/namespace]} and {@code etcds://...} for
 * {@link io.distlock.idempotency.RecordStores}, read as {@link EtcdLockProvider} reads them (TLS parameters
 * {@code ca}, {@code cert}, {@code key}, {@code authority} included): the records live under
 * {@code /<namespace>/records}, beside the locks of the same URI, and {@code timeout} bounds every call. The store
 * owns its jetcd client and closes it with itself. Public only for {@link java.util.ServiceLoader}.
 */
public final class EtcdRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public EtcdRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("etcd", "etcds");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("ca", "cert", "key", "authority");
    }

    @Override
    public RecordStore create(LockUri uri) {
        return EtcdUriConnection.configure(uri, EtcdRecordStore.builder()).build();
    }
}
