package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * The Redis URI schemes for {@link io.distlock.LockManagers}. Public only for {@link java.util.ServiceLoader}.
 * <ul>
 *   <li>{@code redis://[credentials@]host[:port][/database]} and {@code rediss://...} (TLS): one server;</li>
 *   <li>{@code redis-sentinel://[credentials@]host:port[,host:port...][/database]?master=NAME}: a
 *       Sentinel-managed master (sentinel port default 26379; the credentials are those of the data nodes);</li>
 *   <li>{@code redis-cluster://[credentials@]host:port[,host:port...]}: a Redis Cluster, from seed nodes.</li>
 * </ul>
 * Credentials are {@code user:password} (an ACL user), {@code :password} or just {@code password} (both the
 * {@code requirepass} password, as redis-cli and Lettuce read them), or {@code user:} (an ACL user without a
 * password). Messages never show any of it but the user name.
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
    public LockManager create(LockUri parsed) {
        Uri uri = new Uri(parsed);
        if (parsed.hosts().isEmpty()) {
            throw new IllegalArgumentException("Redis lock URI '" + uri + "' names no host");
        }
        RedisLockManager.Builder builder = RedisLockManager.builder().settings(parsed.settings());
        String[] hosts = parsed.hosts().toArray(String[]::new);
        boolean sentinel = false;
        switch (parsed.scheme()) {
            case "redis", "rediss" -> {
                if (hosts.length != 1) {
                    throw new IllegalArgumentException("a " + parsed.scheme() + ":// lock URI names one server; use "
                            + "redis-sentinel:// or redis-cluster:// for several, got '" + uri + "'");
                }
                builder.address((parsed.scheme().equals("rediss") ? "rediss://" : "redis://") + hosts[0]);
            }
            case "redis-sentinel" -> {
                String master = parsed.parameter("master").filter(m -> !m.isBlank()).orElseThrow(() ->
                        new IllegalArgumentException("a redis-sentinel:// lock URI needs ?master=NAME, got '" + uri
                                + "'"));
                builder.sentinel(master, hosts);
                sentinel = true;
            }
            case "redis-cluster" -> builder.cluster(hosts);
            default -> throw new IllegalArgumentException("not a Redis lock URI: '" + uri + "'");
        }
        boolean single = parsed.scheme().startsWith("rediss") || parsed.scheme().equals("redis");
        if (parsed.parameter("master").isPresent() && !sentinel) {
            throw new IllegalArgumentException("parameter 'master' applies only to redis-sentinel://, got '" + uri
                    + "'");
        }
        if (parsed.parameter("tls").isPresent()) {
            if (single) {
                throw new IllegalArgumentException("use rediss:// instead of parameter 'tls', got '" + uri + "'");
            }
            String tls = parsed.parameter("tls").get();
            if (!tls.equalsIgnoreCase("true") && !tls.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException("parameter 'tls' must be true or false, got '" + tls + "'");
            }
            builder.tls(Boolean.parseBoolean(tls));
        }
        String path = parsed.path();
        if (!path.isEmpty() && !path.equals("/")) {
            if (parsed.scheme().equals("redis-cluster")) {
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
        if (parsed.uri().getRawFragment() != null) {
            throw new IllegalArgumentException("a Redis lock URI has no fragment ('#...'), got '" + uri + "'");
        }
        parsed.userInfo().ifPresent(info -> {
            int colon = info.indexOf(':');
            if (colon < 0) {
                // "redis://secret@host": a password, as redis-cli -u, Lettuce and Jedis read it; sending it as a
                // user name would fail with WRONGPASS and print the secret as a name.
                if (!info.isEmpty()) {
                    builder.password(info);
                }
                return;
            }
            if (colon > 0) {
                builder.username(info.substring(0, colon));
            }
            if (colon < info.length() - 1) {
                builder.password(info.substring(colon + 1));
            }
        });
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            // The builder checks the addresses; say which URI they came from.
            throw new IllegalArgumentException("invalid Redis lock URI '" + uri + "': " + e.getMessage(), e);
        }
    }

    /** The URI for messages: the password-only form's user info is a secret too, which the generic form shows. */
    private record Uri(LockUri parsed) {
        @Override
        public String toString() {
            String text = parsed.toString();
            String raw = parsed.uri().getRawAuthority();
            int at = raw == null ? -1 : raw.lastIndexOf('@');
            if (at < 0 || raw.substring(0, at).contains(":")) {
                return text;
            }
            return text.replace(raw.substring(0, at) + "@", "***@");
        }
    }
}
