package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockSettings;
import io.distlock.spi.BoundedAwait;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.data.ACL;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client options that {@link ZooKeeperLockManager.Builder} and {@link ZooKeeperRecordStore.Builder} share: either
 * the caller's started client, or the connection settings of a client that what they build creates, starts and
 * closes; the namespace and the ACL of the nodes; and whether {@code build()} waits for the connection. Written once
 * so that both take, check and document these options the same way; each builder adds its own settings and
 * {@code build()}. Self-typed so that chained calls keep the concrete builder's type. Package-private: its public
 * methods appear as the builders' own. Not thread safe, like the builders.
 *
 * @param <B> the concrete builder
 */
abstract sealed class ZooKeeperClientBuilder<B extends ZooKeeperClientBuilder<B>>
        permits ZooKeeperLockManager.Builder, ZooKeeperRecordStore.Builder {

    /** What an entry point builds on a client: {@code (client, ownsClient, rootPath, acl) -> T}. */
    @FunctionalInterface
    interface Opener<T> {
        T open(CuratorFramework client, boolean ownsClient, String rootPath, List<ACL> acl);
    }

    private CuratorFramework client;
    private String connectString;
    private String namespace = ZooKeeperLockManager.DEFAULT_NAMESPACE;
    private Duration sessionTimeout;
    private Duration connectionTimeout;
    private String authScheme;
    private byte[] auth;
    private List<ACL> acl;
    private ZKClientConfig clientConfig;
    private boolean lazy;

    ZooKeeperClientBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        // Safe: the only subclasses are the two builders, each declared as ZooKeeperClientBuilder<itself>.
        return (B) this;
    }

    /**
     * Uses the caller's started client, which the caller keeps and closes after what this builder builds; one client
     * may serve lock managers and record stores alike. Requests go to the client's current session handle, not
     * through Curator's retry loop, so its retry policy does not matter; its namespace does (nodes go below it).
     * Excludes {@link #connectString}, {@link #sessionTimeout}, {@link #connectionTimeout}, {@link #authorization}
     * and {@link #clientConfig}. The client's own settings then decide when a lost session is noticed: Curator
     * reports LOST only a whole session timeout after SUSPENDED by default, by which time the server may have expired
     * the session and granted its keys to others; build it with {@code simulatedSessionExpirationPercent(30)}, as
     * distlock builds its own client (see the README).
     *
     * @param client a started Curator client
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public B client(CuratorFramework client) {
        this.client = Objects.requireNonNull(client, "client must not be null");
        return self();
    }

    /**
     * The ensemble, e.g. {@code zk1:2181,zk2:2181/chroot}; what is built creates, starts and closes its own client.
     *
     * @param connectString ZooKeeper's connect string
     * @return this builder
     * @throws NullPointerException if {@code connectString} is null
     * @throws IllegalArgumentException if it is blank
     */
    public B connectString(String connectString) {
        Objects.requireNonNull(connectString, "connectString must not be null");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("connectString must not be blank");
        }
        this.connectString = connectString;
        return self();
    }

    /**
     * The node under which distlock's nodes live ({@code <namespace>/locks}, {@code <namespace>/records}), e.g.
     * {@code orders} or {@code apps/orders}; managers and stores that share locks or records use the same one.
     * Leading and trailing slashes are ignored; empty means the root. Default
     * {@value ZooKeeperLockManager#DEFAULT_NAMESPACE}.
     *
     * @param namespace a ZooKeeper path without the leading slash
     * @return this builder
     * @throws NullPointerException if {@code namespace} is null
     * @throws IllegalArgumentException if it is not a valid ZooKeeper path
     */
    public B namespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace must not be null");
        String trimmed = namespace.replaceAll("^/+|/+$", "");
        if (!trimmed.isEmpty()) {
            try {
                PathUtils.validatePath("/" + trimmed);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("namespace '" + namespace + "' is not a valid ZooKeeper path: "
                        + e.getMessage(), e);
            }
        }
        this.namespace = trimmed;
        return self();
    }

    /**
     * The session timeout the own client asks for. Default: the settings' lease. The server clamps it to its
     * {@code minSessionTimeout}/{@code maxSessionTimeout} (by default 2 and 20 ticks).
     *
     * @param sessionTimeout positive
     * @return this builder
     * @throws NullPointerException if {@code sessionTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public B sessionTimeout(Duration sessionTimeout) {
        this.sessionTimeout = positive(sessionTimeout, "sessionTimeout");
        return self();
    }

    /**
     * How long {@code build()} waits for the own client's first connection. Default: the settings' operation
     * timeout.
     *
     * @param connectionTimeout positive
     * @return this builder
     * @throws NullPointerException if {@code connectionTimeout} is null
     * @throws IllegalArgumentException if it is not positive
     */
    public B connectionTimeout(Duration connectionTimeout) {
        this.connectionTimeout = positive(connectionTimeout, "connectionTimeout");
        return self();
    }

    /**
     * Authentication of the own client, e.g. {@code ("digest", "user:password")}; never logged. With it, nodes and
     * their parents default to {@link ZooDefs.Ids#CREATOR_ALL_ACL}, so every manager or store sharing the namespace
     * must use the same identity.
     *
     * @param scheme the ZooKeeper auth scheme, e.g. {@code digest}
     * @param auth the scheme's credentials, e.g. {@code user:password}
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public B authorization(String scheme, String auth) {
        Objects.requireNonNull(scheme, "scheme must not be null");
        Objects.requireNonNull(auth, "auth must not be null");
        this.authScheme = scheme;
        this.auth = auth.getBytes(StandardCharsets.UTF_8);
        return self();
    }

    /**
     * The ACL of the nodes and the parents made for them. Default: {@link ZooDefs.Ids#CREATOR_ALL_ACL} with
     * {@link #authorization}, else {@link ZooDefs.Ids#OPEN_ACL_UNSAFE} (any session may then delete a lock node; a
     * holder whose node is deleted is told, see the README).
     *
     * @param acl a non-empty ACL
     * @return this builder
     * @throws NullPointerException if {@code acl} is null
     * @throws IllegalArgumentException if it is empty
     */
    public B acl(List<ACL> acl) {
        Objects.requireNonNull(acl, "acl must not be null");
        if (acl.isEmpty()) {
            throw new IllegalArgumentException("acl must not be empty");
        }
        this.acl = List.copyOf(acl);
        return self();
    }

    /**
     * ZooKeeper client settings of the own client: TLS ({@code zookeeper.client.secure},
     * {@code zookeeper.clientCnxnSocket}, {@code zookeeper.ssl.trustStore.location}...), SASL, and the like. Unless
     * it sets {@code zookeeper.request.timeout} itself, distlock sets that to the operation timeout on this object, so
     * that closing against a server that accepts but never answers ends in time.
     *
     * @param clientConfig the settings, used by every client this builder builds
     * @return this builder
     * @throws NullPointerException if {@code clientConfig} is null
     */
    public B clientConfig(ZKClientConfig clientConfig) {
        this.clientConfig = Objects.requireNonNull(clientConfig, "clientConfig must not be null");
        return self();
    }

    /**
     * Whether {@code build()} returns without waiting for a connection. Default false: {@code build()} waits up to
     * the connection timeout (the operation timeout for a caller's client) and fails if the ensemble cannot be
     * reached or refuses the client, so that a wrong address or password shows at start-up. With true, that shows
     * as {@link LockBackendException} on the first calls instead, and an application can start while ZooKeeper is
     * down.
     *
     * @param lazy true to start without waiting for the connection
     * @return this builder
     */
    public B connectLazily(boolean lazy) {
        this.lazy = lazy;
        return self();
    }

    /**
     * Checks the options and opens what {@code opener} builds: on the caller's client, or on a client built and
     * started here, which is closed again if connecting or the opener fails. The namespace becomes the root path
     * ({@code /} for the root), and the ACL defaults to CREATOR_ALL with authentication, else OPEN.
     *
     * @param built what is built, for messages ({@code manager}, {@code record store})
     * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
     *     owned client are combined with a caller's client, or if the caller's client is not started
     * @throws LockConfigurationException if the ensemble refused the client's authentication
     * @throws LockBackendException if no connection was made within the timeout (unless {@link #connectLazily})
     */
    final <T> T open(LockSettings settings, String built, Opener<T> opener) {
        if ((client == null) == (connectString == null)) {
            throw new IllegalArgumentException("set exactly one of client(CuratorFramework) and connectString");
        }
        List<ACL> nodeAcl = acl != null ? acl
                : authScheme != null ? ZooDefs.Ids.CREATOR_ALL_ACL : ZooDefs.Ids.OPEN_ACL_UNSAFE;
        String root = namespace.isEmpty() ? "/" : "/" + namespace;
        if (client != null) {
            if (sessionTimeout != null || connectionTimeout != null || authScheme != null || clientConfig != null) {
                throw new IllegalArgumentException("sessionTimeout, connectionTimeout, authorization and clientConfig "
                        + "configure the " + built + "'s own client; set them on the CuratorFramework you pass "
                        + "instead");
            }
            if (client.getState() != CuratorFrameworkState.STARTED) {
                throw new IllegalArgumentException("the CuratorFramework must be started, it is " + client.getState());
            }
            if (!lazy) {
                awaitConnection(client, settings.operationTimeout(), "the caller's client");
            }
            return opener.open(client, false, root, nodeAcl);
        }
        Duration connectWait = connectionTimeout != null ? connectionTimeout : settings.operationTimeout();
        CuratorFramework owned = newClient(sessionTimeout != null ? sessionTimeout : settings.lease(), connectWait,
                settings.operationTimeout());
        try {
            owned.start();
            if (!lazy) {
                awaitConnection(owned, connectWait, "connectionTimeout");
            }
            return opener.open(owned, true, root, nodeAcl);
        } catch (RuntimeException e) {
            closeWithin(owned, Duration.ofMillis(Math.max(1, settings.operationTimeout().toMillis() / 4)));
            throw e;
        }
    }

    /**
     * Closes an owned client, waiting for it at most {@code wait}; the rest happens on a daemon thread. Closing sends
     * the close-session request, which a server that accepts but never answers holds for the client's request
     * timeout (the operation timeout): the caller should not pay that on top of what it already waited.
     */
    static void closeWithin(CuratorFramework curator, Duration wait) {
        Thread closer = new Thread(curator::close, "distlock-zookeeper-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(Math.max(1, wait.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits for the first connection of {@code curator}, then for the answer to one request: ZooKeeper checks the
     * authentication only after the session is established, and fails every later request of a refused one. Fails
     * with the reason if either does not come in time.
     */
    private void awaitConnection(CuratorFramework curator, Duration wait, String timeoutName) {
        String where = curator.getZookeeperClient().getCurrentConnectionString();
        long deadline = System.nanoTime() + wait.toNanos();
        LockBackendException unreachable = new LockBackendException("could not connect to ZooKeeper at " + where
                + " within " + timeoutName + " " + wait + " (unreachable, or not answering); connectLazily(true) "
                + "builds without waiting");
        while (true) {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            boolean connected;
            try {
                connected = remainingMs > 0
                        && curator.blockUntilConnected((int) Math.min(Integer.MAX_VALUE, remainingMs),
                        TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LockBackendException("connecting to ZooKeeper at " + where + ": interrupted", e);
            }
            ZooKeeper zk;
            try {
                zk = curator.getZookeeperClient().getZooKeeper();
            } catch (Exception e) {
                throw unreachable;
            }
            if (!connected) {
                throw zk.getState() == ZooKeeper.States.AUTH_FAILED ? authFailed(where) : unreachable;
            }
            CompletableFuture<Integer> answer = new CompletableFuture<>();
            zk.exists("/", false, (rc, path, ctx, stat) -> answer.complete(rc), null);
            int rc = BoundedAwait.until(answer, deadline, BoundedAwait.Interrupts.ABORT, new BoundedAwait.Failures() {
                @Override
                public LockBackendException timedOut(java.util.concurrent.TimeoutException e) {
                    return unreachable;
                }

                @Override
                public LockBackendException interrupted(InterruptedException e) {
                    return new LockBackendException("connecting to ZooKeeper at " + where + ": interrupted", e);
                }

                @Override
                public LockBackendException failed(Throwable cause) {
                    return new LockBackendException("connecting to ZooKeeper at " + where + ": " + cause, cause);
                }
            });
            if (rc == KeeperException.Code.OK.intValue()) {
                return;
            }
            if (rc == KeeperException.Code.AUTHFAILED.intValue()) {
                throw authFailed(where);
            }
            if (rc != KeeperException.Code.CONNECTIONLOSS.intValue()
                    && rc != KeeperException.Code.SESSIONEXPIRED.intValue()) {
                throw new LockBackendException("connecting to ZooKeeper at " + where + " failed: "
                        + KeeperException.Code.get(rc), KeeperException.create(KeeperException.Code.get(rc)));
            }
            // The connection broke (or the session was replaced) right after it was made: wait for the next one.
        }
    }

    private static LockConfigurationException authFailed(String where) {
        return new LockConfigurationException("ZooKeeper rejected this client's authentication: check the "
                + "authorization scheme and credentials (or the TLS client certificate). Connecting to " + where
                + ": AUTHFAILED", new KeeperException.AuthFailedException());
    }

    private static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d;
    }

    /**
     * A client as the entry points build their own: no retries (requests bypass Curator's retry loop; this only keeps
     * Curator from retrying anything else on a new session behind our back), LOST reported early (see
     * {@link ZooKeeperLockManager#SESSION_EXPIRATION_PERCENT}), no ensemble tracking, and the ZooKeeper request
     * timeout set to the operation timeout (it bounds the client's synchronous calls, among them the close-session
     * request of {@code close()}). Not started.
     */
    private CuratorFramework newClient(Duration session, Duration connection, Duration operationTimeout) {
        ZKClientConfig config = clientConfig != null ? clientConfig : new ZKClientConfig();
        if (config.getProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT) == null) {
            config.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, Long.toString(operationTimeout.toMillis()));
        }
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(saturatedMillis(session))
                .connectionTimeoutMs(saturatedMillis(connection))
                .retryPolicy(new RetryNTimes(0, 0))
                .simulatedSessionExpirationPercent(ZooKeeperLockManager.SESSION_EXPIRATION_PERCENT)
                .zkClientConfig(config)
                // No dynamic reconfiguration tracking: one watch and one read less per client.
                .ensembleTracker(false);
        if (authScheme != null) {
            builder.authorization(authScheme, auth);
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid ZooKeeper connect string '" + connectString + "': "
                    + e.getMessage(), e);
        }
    }

    private static int saturatedMillis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }
}
