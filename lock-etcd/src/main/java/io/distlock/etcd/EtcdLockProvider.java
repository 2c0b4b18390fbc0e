package io.distlock.etcd;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.nio.file.Path;
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
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("an etcd lock URI needs at least one host:port, got " + uri);
        }
        boolean tls = uri.scheme().equals("etcds");
        EtcdLockManager.Builder builder = EtcdLockManager.builder()
                .endpoints(uri.hosts().toArray(String[]::new))
                .tls(tls)
                .settings(uri.settings());
        for (String tlsOnly : new String[] {"ca", "cert", "key", "authority"}) {
            if (!tls && uri.parameter(tlsOnly).isPresent()) {
                throw new IllegalArgumentException("etcd lock URI parameter '" + tlsOnly + "' needs TLS: use "
                        + "etcds://, got " + uri);
            }
        }
        uri.parameter("ca").ifPresent(ca -> builder.trustCertificates(Path.of(ca)));
        if (uri.parameter("cert").isPresent() != uri.parameter("key").isPresent()) {
            throw new IllegalArgumentException("etcd lock URI parameters 'cert' and 'key' go together, got " + uri);
        }
        uri.parameter("cert").ifPresent(cert -> builder.clientCertificate(Path.of(cert),
                Path.of(uri.parameter("key").orElseThrow())));
        uri.parameter("authority").ifPresent(builder::authority);
        String path = uri.path();
        if (!path.isEmpty() && !"/".equals(path)) {
            builder.namespace(path);
        }
        if (uri.userInfo().isPresent()) {
            if (uri.user().isEmpty() || uri.password().isEmpty()) {
                throw new IllegalArgumentException("etcd lock URI user info must be user:password, got " + uri);
            }
            builder.user(uri.user().get(), uri.password().get());
        }
        return builder.build();
    }
}
