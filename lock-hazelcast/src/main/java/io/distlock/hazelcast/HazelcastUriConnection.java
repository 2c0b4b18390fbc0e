package io.distlock.hazelcast;

import io.distlock.spi.LockUri;

/**
 * The connection part of a {@code hazelcast://} URI (member addresses, {@code cluster}, {@code connectTimeout},
 * credentials) applied to either builder, so that a lock manager and a record store made from one URI join the same
 * cluster by the same rules. The {@code map} parameter is the caller's: locks and records use different maps.
 * Stateless.
 */
final class HazelcastUriConnection {

    private HazelcastUriConnection() {
    }

    /**
     * Sets {@code builder}'s members, cluster name, connect timeout and credentials from {@code uri}.
     *
     * @param what what the URI makes, for messages ({@code "lock"}, {@code "record store"})
     * @throws IllegalArgumentException naming the part of the URI that is invalid
     */
    static <B extends HazelcastClientBuilder<B>> B configure(LockUri uri, B builder, String what) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a hazelcast " + what + " URI needs at least one member address: "
                    + "hazelcast://host:port[,host:port]?cluster=NAME, got " + uri);
        }
        if (!uri.path().isEmpty() && !uri.path().equals("/")) {
            throw new IllegalArgumentException("a hazelcast " + what + " URI has no path (use ?map=NAME), got "
                    + uri);
        }
        for (String host : uri.hosts()) {
            boolean hasPort = host.startsWith("[") ? host.contains("]:") : host.contains(":");
            builder.addresses(hasPort ? host : host + ":5701");
        }
        uri.parameter("cluster").ifPresent(builder::clusterName);
        uri.parameter("connectTimeout").ifPresent(
                text -> builder.connectTimeout(LockUri.parseDuration("connectTimeout", text)));
        if (uri.userInfo().isPresent()) {
            builder.credentials(uri.user().orElse(""), uri.password().orElse(""));
        }
        return builder;
    }
}
