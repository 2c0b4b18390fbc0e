package io.distlock.zookeeper;

import io.distlock.spi.LockUri;

/**
 * The connection part of a {@code zookeeper://} URI (hosts, namespace path, session and connection timeouts, digest
 * credentials) applied to either builder, so that a lock manager and a record store made from one URI reach the same
 * ensemble and namespace by the same rules. Stateless.
 */
final class ZooKeeperUriConnection {

    private ZooKeeperUriConnection() {
    }

    /**
     * Sets {@code builder}'s connect string, namespace, timeouts and credentials from {@code uri}.
     *
     * @param what what the URI makes, for messages ({@code "lock"}, {@code "record store"})
     * @throws IllegalArgumentException naming the part of the URI that is invalid
     */
    static <B extends ZooKeeperClientBuilder<B>> B configure(LockUri uri, B builder, String what) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a zookeeper " + what + " URI needs at least one host:port, got "
                    + uri);
        }
        builder.connectString(String.join(",", uri.hosts()));
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
                throw new IllegalArgumentException("zookeeper " + what + " URI user info must be user:password "
                        + "(digest), got " + uri);
            }
            builder.authorization("digest", uri.userInfo().get());
        }
        return builder;
    }
}
