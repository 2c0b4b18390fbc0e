package io.distlock.hazelcast;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code hazelcast://[user:password@]host:port[,host:port...][?cluster=NAME&map=MAP&connectTimeout=10s]}, plus the
 * common {@code lease}, {@code renewal}, {@code timeout} and {@code prefix} parameters: a manager with its own
 * Hazelcast client, shut down when the manager closes. {@code cluster} defaults to {@code dev}, {@code map} to
 * {@value HazelcastLockManager#DEFAULT_MAP_NAME}, {@code connectTimeout} (how long creating the manager waits for the
 * first connection) to the operation timeout ({@code timeout}); a port defaults to 5701. Credentials only work
 * against clusters with security enabled (Enterprise). A member that refuses the cluster name or the credentials
 * fails {@link #create} with {@link io.distlock.LockConfigurationException}. Public only for
 * {@link java.util.ServiceLoader}.
 */
public final class HazelcastLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("hazelcast");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("cluster", "map", "connectTimeout");
    }

    @Override
    public LockManager create(LockUri uri) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("a hazelcast lock URI needs at least one member address: "
                    + "hazelcast://host:port[,host:port]?cluster=NAME, got " + uri);
        }
        if (!uri.path().isEmpty() && !uri.path().equals("/")) {
            throw new IllegalArgumentException("a hazelcast lock URI has no path (use ?map=NAME), got " + uri);
        }
        HazelcastLockManager.Builder builder = HazelcastLockManager.builder().settings(uri.settings());
        for (String host : uri.hosts()) {
            boolean hasPort = host.startsWith("[") ? host.contains("]:") : host.contains(":");
            builder.addresses(hasPort ? host : host + ":5701");
        }
        uri.parameter("cluster").ifPresent(builder::clusterName);
        uri.parameter("map").ifPresent(builder::mapName);
        uri.parameter("connectTimeout").ifPresent(
                text -> builder.connectTimeout(LockUri.parseDuration("connectTimeout", text)));
        if (uri.userInfo().isPresent()) {
            builder.credentials(uri.user().orElse(""), uri.password().orElse(""));
        }
        return builder.build();
    }
}
