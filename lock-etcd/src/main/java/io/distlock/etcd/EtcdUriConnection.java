package io.distlock.etcd;

import io.distlock.spi.LockUri;

import java.nio.file.Path;

/**
 * The connection part of an {@code etcd://} or {@code etcds://} URI (endpoints, namespace path, credentials, TLS
 * files) applied to either builder, for {@link EtcdLockProvider} and the record store's provider alike, so that a lock manager and a record
 * store made from one URI reach the same cluster and namespace. Stateless.
 */
final class EtcdUriConnection {

    private EtcdUriConnection() {
    }

    /**
     * Sets {@code builder}'s endpoints, TLS, namespace, credentials and settings from {@code uri}.
     *
     * @throws IllegalArgumentException naming the part of the URI that is invalid
     */
    static <B extends EtcdClientBuilder<B>> B configure(LockUri uri, B builder) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("an etcd URI needs at least one host:port, got " + uri);
        }
        boolean tls = uri.scheme().equals("etcds");
        builder.endpoints(uri.hosts().toArray(String[]::new)).tls(tls).settings(uri.settings());
        for (String tlsOnly : new String[] {"ca", "cert", "key", "authority"}) {
            if (!tls && uri.parameter(tlsOnly).isPresent()) {
                throw new IllegalArgumentException("etcd URI parameter '" + tlsOnly + "' needs TLS: use etcds://, got "
                        + uri);
            }
        }
        uri.parameter("ca").ifPresent(ca -> builder.trustCertificates(Path.of(ca)));
        if (uri.parameter("cert").isPresent() != uri.parameter("key").isPresent()) {
            throw new IllegalArgumentException("etcd URI parameters 'cert' and 'key' go together, got " + uri);
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
                throw new IllegalArgumentException("etcd URI user info must be user:password, got " + uri);
            }
            builder.user(uri.user().get(), uri.password().get());
        }
        return builder;
    }
}
