package io.distlock.redis;

import io.distlock.spi.LockUri;

/**
 * The connection part of a Redis URI (scheme, hosts, database path, credentials, {@code master}, {@code tls}) applied
 * to either builder, for {@link RedisLockProvider} and the record store's provider alike, so that a lock manager and
 * a record store made from one URI reach the same deployment by the same rules. Stateless.
 */
final class RedisUriConnection {

    private RedisUriConnection() {
    }

    /**
     * Sets {@code builder}'s connection options from {@code uri}.
     *
     * @throws IllegalArgumentException naming the part of the URI that is invalid
     */
    static <B extends RedisClientBuilder<B>> B configure(LockUri uri, B builder) {
        if (uri.hosts().isEmpty()) {
            throw new IllegalArgumentException("Redis URI '" + uri + "' names no host");
        }
        String[] hosts = uri.hosts().toArray(String[]::new);
        switch (uri.scheme()) {
            case "redis", "rediss" -> {
                if (hosts.length != 1) {
                    throw new IllegalArgumentException("a " + uri.scheme() + ":// URI names one server; use "
                            + "redis-sentinel:// or redis-cluster:// for several, got '" + uri + "'");
                }
                builder.address((uri.scheme().equals("rediss") ? "rediss://" : "redis://") + hosts[0]);
            }
            case "redis-sentinel" -> {
                String master = uri.parameter("master").filter(m -> !m.isBlank()).orElseThrow(() ->
                        new IllegalArgumentException("a redis-sentinel:// URI needs ?master=NAME, got '" + uri + "'"));
                builder.sentinel(master, hosts);
            }
            case "redis-cluster" -> builder.cluster(hosts);
            default -> throw new IllegalArgumentException("not a Redis URI: '" + uri + "'");
        }
        boolean single = uri.scheme().equals("redis") || uri.scheme().equals("rediss");
        if (uri.parameter("master").isPresent() && !uri.scheme().equals("redis-sentinel")) {
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
                throw new IllegalArgumentException("the path of a Redis URI is the database number, got '" + path
                        + "' in '" + uri + "'");
            }
            builder.database(Integer.parseInt(database));
        }
        if (uri.uri().getRawFragment() != null) {
            throw new IllegalArgumentException("a Redis URI has no fragment ('#...'), got '" + uri + "'");
        }
        uri.userInfo().ifPresent(info -> {
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
        return builder;
    }
}
