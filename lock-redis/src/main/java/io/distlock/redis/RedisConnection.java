package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.BoundedAwait;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.BaseConfig;
import org.redisson.config.BaseMasterSlaveServersConfig;
import org.redisson.config.ClusterServersConfig;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SentinelServersConfig;
import org.redisson.config.SingleServerConfig;
import org.redisson.config.SubscriptionMode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * The connection settings of a Redisson client that distlock builds for itself, shared by the builders of
 * {@link RedisLockManager} and {@link RedisRecordStore} so that both validate and configure a deployment the same
 * way. Mutable and not thread safe, like the builders that hold it.
 */
final class RedisConnection {

    enum Mode { SINGLE, SENTINEL, CLUSTER }

    /** Host names as DNS allows them (letters, digits, hyphens, dots), plus '_' that container networks use. */
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]+");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    /** ASCII digits only: Integer.parseInt also takes '+1' and non-ASCII digits such as '٣'. */
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    /** What connecting may take beyond the operation timeout: the client's threads and event loops starting. */
    private static final Duration START_UP = Duration.ofSeconds(5);

    private Mode mode;
    private final List<String> addresses = new ArrayList<>();
    private String masterName;
    private String username;
    private String password;
    private Integer database;
    private boolean tls;
    private BiConsumer<Config, BaseConfig<?>> customizer;

    void single(String address) {
        setMode(Mode.SINGLE, List.of(Objects.requireNonNull(address, "address must not be null")));
    }

    void sentinel(String masterName, String... sentinelAddresses) {
        Objects.requireNonNull(masterName, "masterName must not be null");
        if (masterName.isBlank()) {
            throw new IllegalArgumentException("Sentinel master name must not be blank");
        }
        setMode(Mode.SENTINEL, List.of(sentinelAddresses));
        this.masterName = masterName;
    }

    void cluster(String... nodeAddresses) {
        setMode(Mode.CLUSTER, List.of(nodeAddresses));
    }

    private void setMode(Mode mode, List<String> addresses) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("at least one Redis address is needed");
        }
        for (String address : addresses) {
            Objects.requireNonNull(address, "Redis addresses must not be null");
            if (address.isBlank()) {
                throw new IllegalArgumentException("Redis address must not be blank");
            }
        }
        this.mode = mode;
        this.addresses.clear();
        this.addresses.addAll(addresses);
    }

    void username(String username) {
        this.username = Objects.requireNonNull(username, "username must not be null");
    }

    void password(String password) {
        this.password = Objects.requireNonNull(password, "password must not be null");
    }

    void database(int database) {
        if (database < 0) {
            throw new IllegalArgumentException("database must not be negative, got " + database);
        }
        this.database = database;
    }

    void tls(boolean tls) {
        this.tls = tls;
    }

    void configure(BiConsumer<Config, BaseConfig<?>> customizer) {
        this.customizer = Objects.requireNonNull(customizer, "customizer must not be null");
    }

    /** Whether any connection setting was given, which a caller's client excludes. */
    boolean anySet() {
        return mode != null || username != null || password != null || database != null || tls
                || customizer != null;
    }

    /** A client this connection built, with the failure mapping that knows its user, database and handshakes. */
    record Connected(RedissonClient client, RedisFailures failures) {
    }

    /**
     * Builds the client and connects now. Redisson bounds each network step by the operation timeout (connect,
     * AUTH, SELECT, PING), so an unreachable server fails within about that; the whole connect is bounded here as
     * well, by the timeout plus five seconds for the client's own start-up (class loading and event loops take
     * seconds in a cold JVM on a loaded machine), against steps Redisson does not bound, such as a TLS handshake
     * that a plain-text server never answers.
     *
     * @throws IllegalStateException if no server was given, or a database other than 0 with Cluster
     * @throws IllegalArgumentException if an address is malformed
     * @throws io.distlock.LockConfigurationException if the server answered but refused the configuration
     *     (password, database, TLS)
     * @throws LockBackendException if the client could not connect within its timeouts
     */
    Connected connect(Duration operationTimeout) {
        if (mode == null) {
            throw new IllegalStateException("give either client(...) or one of address(...), sentinel(...), "
                    + "cluster(...)");
        }
        if (mode == Mode.CLUSTER && database != null && database != 0) {
            throw new IllegalStateException("Redis Cluster has only database 0, got database " + database);
        }
        Config config = config(operationTimeout);
        TlsHandshakes handshakes = new TlsHandshakes(config.getNettyHook(), operationTimeout);
        config.setNettyHook(handshakes);
        RedisFailures failures = new RedisFailures(describe(), username, database, handshakes::lastFailure);
        CompletableFuture<RedissonClient> pending = new CompletableFuture<>();
        Thread connecting = new Thread(() -> {
            try {
                pending.complete(Redisson.create(config));
            } catch (Throwable e) {
                pending.completeExceptionally(e);
            }
        }, "distlock-redis-connect");
        connecting.setDaemon(true);
        connecting.start();
        long deadline = System.nanoTime() + operationTimeout.toNanos() + START_UP.toNanos();
        try {
            // A failed TLS handshake ends the wait at once: Redisson would only time out, seconds later.
            Object first = BoundedAwait.until(CompletableFuture.anyOf(pending, handshakes.firstFailure()), deadline,
                    BoundedAwait.Interrupts.ABORT, new BoundedAwait.Failures() {
                        @Override
                        public LockBackendException timedOut(TimeoutException e) {
                            return failures.timedOut("connecting", operationTimeout.toMillis(), "", e);
                        }

                        @Override
                        public LockBackendException interrupted(InterruptedException e) {
                            return new LockBackendException("connecting to " + describe() + " was interrupted", e);
                        }

                        @Override
                        public LockBackendException failed(Throwable cause) {
                            return failures.failed("connecting", cause);
                        }
                    });
            if (first instanceof Throwable handshake) {
                throw failures.failed("connecting", handshake);
            }
            return new Connected((RedissonClient) first, failures);
        } catch (LockBackendException e) {
            // A client that connects after all is nobody's: shut it down when it is there.
            pending.thenAccept(client -> shutdown(client, operationTimeout));
            if (!(e instanceof io.distlock.LockConfigurationException)) {
                Optional<Throwable> handshake = handshakes.diagnose();
                if (handshake.isPresent()) {
                    throw failures.failed("connecting", handshake.get());
                }
            }
            throw e;
        }
    }

    /**
     * Shuts down a client this library built within about {@code timeout}: Redisson's {@code shutdown()} waits
     * for its event loops up to 15 s, longer than a container's grace period, for connections that a silent
     * server never closes.
     */
    static void shutdown(RedissonClient client, Duration timeout) {
        client.shutdown(0, Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** What the client connects to, for messages: never credentials. */
    String describe() {
        return switch (mode) {
            case SINGLE -> "redis " + addresses.get(0);
            case SENTINEL -> "redis-sentinel master '" + masterName + "' via " + addresses;
            case CLUSTER -> "redis-cluster " + addresses;
        };
    }

    Config config(Duration operationTimeout) {
        Config config = new Config();
        // Every distlock call names its codec; this only keeps stray uses of the client readable.
        config.setCodec(StringCodec.INSTANCE);
        int timeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, operationTimeout.toMillis()));
        String[] uris = addresses.stream().map(a -> uri(a, mode == Mode.SENTINEL ? 26379 : 6379, tls))
                .toArray(String[]::new);
        BaseConfig<?> servers;
        switch (mode) {
            case SINGLE -> {
                SingleServerConfig single = config.useSingleServer().setAddress(uris[0])
                        // A lock manager needs few connections at rest; Redisson's default keeps 24 open.
                        .setConnectionMinimumIdleSize(2);
                if (database != null) {
                    single.setDatabase(database);
                }
                common(single, timeout);
                servers = single;
            }
            case SENTINEL -> {
                SentinelServersConfig sentinel = config.useSentinelServers().setMasterName(masterName)
                        .addSentinelAddress(uris)
                        // Redisson refuses fewer than two sentinels by default; running one is the operator's
                        // choice, and the test setup does.
                        .setCheckSentinelsList(false)
                        .setScanInterval(1000);
                if (database != null) {
                    sentinel.setDatabase(database);
                }
                masterOnly(sentinel);
                common(sentinel, timeout);
                servers = sentinel;
            }
            case CLUSTER -> {
                ClusterServersConfig cluster = config.useClusterServers().addNodeAddress(uris)
                        .setScanInterval(1000);
                masterOnly(cluster);
                common(cluster, timeout);
                servers = cluster;
            }
            default -> throw new AssertionError(mode);
        }
        if (customizer != null) {
            customizer.accept(config, servers);
        }
        return config;
    }

    /** Locks and records live on masters: replicas are never asked, so keep their pools small. */
    private static void masterOnly(BaseMasterSlaveServersConfig<?> config) {
        config.setReadMode(ReadMode.MASTER)
                .setSubscriptionMode(SubscriptionMode.MASTER)
                .setMasterConnectionMinimumIdleSize(2)
                .setSlaveConnectionMinimumIdleSize(1);
    }

    private void common(BaseConfig<?> config, int timeout) {
        config.setTimeout(timeout)
                // At least a second: Redisson counts its pool's start-up in the connect timeout, and the first
                // client in a cold JVM on a loaded machine needs longer than a short operation timeout for that.
                // A silent server still fails the connect within the operation timeout (PING's response timeout).
                .setConnectTimeout(Math.max(timeout, 1000))
                // No retries: a re-sent script may run twice, and a retry would outlast the operation timeout.
                .setRetryAttempts(0)
                // Finds a dead connection within a second instead of at the next call.
                .setPingConnectionInterval(1000)
                .setKeepAlive(true);
        if (username != null) {
            config.setUsername(username);
        }
        if (password != null) {
            config.setPassword(password);
        }
    }

    /**
     * The Redisson address for {@code address} ({@code host}, {@code host:port}, {@code [ipv6]:port}, optionally
     * with {@code redis://} or {@code rediss://}). Checked here, strictly, because Redisson reports a malformed
     * address only when it connects, as a connection failure ({@code LockBackendException}), which would make a
     * typo look like an outage.
     *
     * @throws IllegalArgumentException naming the part of the address that is wrong
     */
    static String uri(String address, int defaultPort, boolean tls) {
        String a = address.trim();
        String scheme = tls ? "rediss://" : "redis://";
        if (a.startsWith("redis://") || a.startsWith("rediss://")) {
            if (tls && a.startsWith("redis://")) {
                throw new IllegalArgumentException("tls(true) conflicts with the plain address " + a);
            }
            scheme = a.substring(0, a.indexOf("://") + 3);
            a = a.substring(scheme.length());
        } else if (a.contains("://")) {
            throw new IllegalArgumentException("Redis address must be host:port, redis://host:port or "
                    + "rediss://host:port, got " + address);
        }
        if (a.contains("@") || a.contains("/")) {
            throw new IllegalArgumentException("Redis address must be host:port without credentials or path "
                    + "(use username(...) and password(...)), got " + a.replaceAll(".*@", "***@"));
        }
        String host;
        String port = null;
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("Redis address " + a + " has an IPv6 host without its ']'");
            }
            host = a.substring(1, close);
            String rest = a.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("Redis address " + a + " has '" + rest + "' after its IPv6 "
                            + "host; expected :port");
                }
                port = rest.substring(1);
            }
            if (!IPV6.matcher(host).matches()) {
                throw new IllegalArgumentException("Redis address " + a + " has an invalid IPv6 host '" + host + "'");
            }
            host = "[" + host + "]";
        } else {
            int colon = a.indexOf(':');
            host = colon < 0 ? a : a.substring(0, colon);
            if (colon >= 0) {
                port = a.substring(colon + 1);
                if (port.contains(":")) {
                    throw new IllegalArgumentException("Redis address " + a + " has more than one ':'; write an "
                            + "IPv6 host in brackets, as [::1]:6379");
                }
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("Redis address " + a + " has an empty host");
            }
            if (!HOST.matcher(host).matches()) {
                throw new IllegalArgumentException("Redis address " + a + " has an invalid host '" + host
                        + "' (letters, digits, '.', '-' and '_'; IPv6 in brackets)");
            }
        }
        if (port == null) {
            return scheme + host + ":" + defaultPort;
        }
        if (port.isEmpty()) {
            throw new IllegalArgumentException("Redis address " + a + " has an empty port; give one or leave out "
                    + "the ':' for the default " + defaultPort);
        }
        if (!PORT.matcher(port).matches() || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IllegalArgumentException("Redis address " + a + " has an invalid port '" + port
                    + "' (1-65535)");
        }
        return scheme + host + ":" + port;
    }
}
