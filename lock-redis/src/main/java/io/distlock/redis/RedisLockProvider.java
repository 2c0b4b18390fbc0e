package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The Redis URI schemes for {@link io.distlock.LockManagers}. Public only for {@link java.util.ServiceLoader}.
 * <ul>
 *   <li>{@code redis://[[user]:password@]host[:port][/database]} and {@code rediss://...} (TLS): one server;</li>
 *   <li>{@code redis-sentinel://[[user]:password@]host:port[,host:port...][/database]?master=NAME}: a
 *       Sentinel-managed master (sentinel port default 26379; the credentials are those of the data nodes);</li>
 *   <li>{@code redis-cluster://[[user]:password@]host:port[,host:port...]}: a Redis Cluster, from seed nodes.</li>
 * </ul>
 * Sentinel and Cluster accept {@code tls=true}. The common parameters ({@code lease}, {@code renewal},
 * {@code timeout}, {@code prefix}) apply to all.
 */
public final class RedisLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss", "redis-sentinel", "redis-cluster");
    }

    @Override
    public Set<String> parameters() {
        return Set.of("master", "tls");
    }

    @Override
    public LockManager create(LockUri uri) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("Redis lock URI '" + uri + "' names no host");
        }
        RedisLockManager.Builder builder = RedisLockManager.builder().settings(uri.settings());
        String[] hosts = uri.hosts().toArray(String[]::new);
        boolean sentinel = false;
        switch (uri.scheme()) {
            case "redis", "rediss" -> {
                if (hosts.length != 1) {
                    throw new IllegalArgumentException("a " + uri.scheme() + ":// lock URI names one server; use "
                            + "redis-sentinel:// or redis-cluster:// for several, got '" + uri + "'");
                }
                builder.address((uri.scheme().equals("rediss") ? "rediss://" : "redis://") + hosts[0]);
            }
            case "redis-sentinel" -> {
                String master = uri.parameter("master").filter(m -> !m.isBlank()).orElseThrow(() ->
                        new IllegalArgumentException("a redis-sentinel:// lock URI needs ?master=NAME, got '" + uri
                                + "'"));
                builder.sentinel(master, hosts);
                sentinel = true;
            }
            case "redis-cluster" -> builder.cluster(hosts);
            default -> throw new IllegalArgumentException("not a Redis lock URI: '" + uri + "'");
        }
        boolean single = uri.scheme().startsWith("rediss") || uri.scheme().equals("redis");
        if (uri.parameter("master").isPresent() && !sentinel) {
            throw new IllegalArgumentException("parameter 'master' applies only to redis-sentinel://, got '" + uri
                    + "'");
        }
        if (uri.parameter("tls").isPresent()) {
            if (single) {
                throw new IllegalArgumentException("use rediss:// instead of parameter 'tls', got '" + uri + "'");
            }
            String tls = uri.parameter("tls").get();
            if (!tls.equalsIgnoreCase("true") && !tls.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException("parameter 'tls' must be true or false, got '" + tls + "'");
            }
            builder.tls(Boolean.parseBoolean(tls));
        }
        String path = uri.path();
        if (!path.isEmpty() && !path.equals("/")) {
            if (uri.scheme().equals("redis-cluster")) {
                throw new IllegalArgumentException("Redis Cluster has only database 0; remove the path from '" + uri
                        + "'");
            }
            // ASCII digits only: Integer.parseInt alone would also take "+1" and non-ASCII digits.
            String database = path.substring(1);
            if (!database.matches("[0-9]{1,9}")) {
                throw new IllegalArgumentException("the path of a Redis lock URI is the database number, got '"
                        + path + "' in '" + uri + "'");
            }
            builder.database(Integer.parseInt(database));
        }
        if (uri.uri().getRawFragment() != null) {
            throw new IllegalArgumentException("a Redis lock URI has no fragment ('#...'), got '" + uri + "'");
        }
        uri.user().ifPresent(builder::username);
        uri.password().filter(p -> !p.isEmpty()).ifPresent(builder::password);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // The builder checks the addresses; say which URI they came from.
            throw new IllegalArgumentException("invalid Redis lock URI '" + uri + "': " + e.getMessage(), e);
        }
    }
}
