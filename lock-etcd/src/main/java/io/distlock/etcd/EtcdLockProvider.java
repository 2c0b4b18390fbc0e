package io.distlock.etcd;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code etcd://[user:password@]host:port[,host:port...][/namespace]} and {@code etcds://...} (TLS), plus the common
 * {@code lease}, {@code renewal}, {@code timeout} and {@code prefix} parameters: a manager that owns its jetcd client.
 * The path is the namespace ({@value EtcdLockManager#DEFAULT_NAMESPACE} when absent); user info means etcd
 * authentication. With {@code etcds}, {@code ca} names a PEM file of trusted certificates (default: the JVM's trust
 * store), {@code cert} and {@code key} a client certificate and its PKCS#8 key, and {@code authority} the host name to
 * check the server certificate against. Public only for {@link java.util.ServiceLoader}.
 */
public final class EtcdLockProvider implements LockManagerProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public EtcdLockProvider() {
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
    public LockManager create(LockUri uri) {
        return EtcdUriConnection.configure(uri, EtcdLockManager.builder()).build();
    }
}
