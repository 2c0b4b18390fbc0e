package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Entry point of the ZooKeeper backend: locks that are EPHEMERAL znodes, held as long as the ZooKeeper session that
 * created them, never granted twice by the ensemble (a CP store: a leader failover loses no lock and grants none
 * twice), with the node's creation zxid as fencing token.
 * <pre>{@code
 * LockManager locks = ZooKeeperLockManager.builder()
 *         .connectString("zk1:2181,zk2:2181,zk3:2181")
 *         .namespace("orders")                 // nodes live under /orders/locks
 *         .settings(LockSettings.defaults())   // lease 30 s = the session timeout
 *         .build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("zookeeper://zk1:2181,zk2:2181/orders"))}.
 *
 * <p><b>Client ownership:</b> with {@link Builder#connectString} the manager builds, starts and closes its own Curator
 * client; with {@link Builder#client} it uses the caller's started client, which the caller keeps and closes after the
 * manager. Requests go to the client's current session handle, not through Curator's retry loop, so the client's
 * retry policy does not matter; its namespace does (lock nodes go below it).
 *
 * <p><b>Lease = session:</b> a lock lives as long as the session; there is nothing to renew. When the manager builds
 * its client, the session timeout is {@link LockSettings#lease()} unless {@link Builder#sessionTimeout} says
 * otherwise, so "a dead holder frees its keys within one lease" holds as the server enforces the session timeout (which
 * it clamps to its {@code minSessionTimeout}/{@code maxSessionTimeout}, by default 2 and 20 ticks). Fixed-lease mode
 * ({@code renewal=false}) is not supported: the lock cannot expire while its session lives. A lost session (Curator
 * LOST, or a reconnect on another session) marks every handle of that session lost with
 * {@link io.distlock.LockLoss.Reason#SESSION_LOST}.
 *
 * <p><b>Timeouts and outages:</b> every call returns or throws {@link LockBackendException} within
 * {@link LockSettings#operationTimeout()}; an unreachable ensemble is never reported as a held key.
 *
 * <p>Thread safe; the builder is not.
 */
public final class ZooKeeperLockManager {

    /** The parent of the {@code locks} node when no namespace is given. */
    public static final String DEFAULT_NAMESPACE = "distlock";
    /**
     * When Curator declares the session lost after a disconnect, as a percentage of the session timeout (its
     * default is 100). ZooKeeper notices a silent connection after 2/3 of the session timeout, and the server may
     * expire the session 1/3 later: 30 % reports the loss no later than the server can have expired the session,
     * so a holder cut off from the ensemble learns of the loss before a successor can take the key. A connection
     * that breaks at once (a server restart) then costs the locks after 30 % of the timeout.
     */
    static final int SESSION_EXPIRATION_PERCENT = 30;

    private ZooKeeperLockManager() {
    }

    /**
     * Starts a builder; a client or a connect string is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds ZooKeeper managers; not thread safe, {@link #build()} may be called repeatedly. */
    public static final class Builder {
        private final ZooKeeperConnection connection = new ZooKeeperConnection();
        private LockSettings settings = LockSettings.defaults();

        private Builder() {
        }

        /**
         * Uses the caller's started client; the caller closes it after the manager. Excludes
         * {@link #connectString}, {@link #sessionTimeout}, {@link #connectionTimeout} and {@link #authorization}.
         * The client's own settings then decide when a lost session is noticed: Curator reports LOST only a whole
         * session timeout after SUSPENDED by default, by which time the server may have expired the session and
         * granted its keys to others up to 2/3 of a session timeout earlier. Build it with
         * {@code simulatedSessionExpirationPercent(30)}, as the manager's own client is built (see the README).
         *
         * @param client the caller's started client
         * @return this builder
         */
        public Builder client(CuratorFramework client) {
            connection.client(client);
            return this;
        }

        /**
         * The ensemble, e.g. {@code zk1:2181,zk2:2181/chroot}; the manager builds and owns its client.
         *
         * @param connectString the ensemble's connect string
         * @return this builder
         */
        public Builder connectString(String connectString) {
            connection.connectString(connectString);
            return this;
        }

        /**
         * The node under which the {@code locks} parent lives, e.g. {@code orders} or {@code apps/orders};
         * managers that should exclude each other use the same one. Default {@value #DEFAULT_NAMESPACE}.
         *
         * @param namespace the namespace, without a leading slash
         * @return this builder
         */
        public Builder namespace(String namespace) {
            connection.namespace(namespace);
            return this;
        }

        /**
         * The session timeout the manager's own client asks for. Default: the settings' lease.
         *
         * @param sessionTimeout the session timeout
         * @return this builder
         */
        public Builder sessionTimeout(Duration sessionTimeout) {
            connection.sessionTimeout(sessionTimeout);
            return this;
        }

        /**
         * How long the manager's own client tries to connect at first. Default: the settings' operation timeout.
         *
         * @param connectionTimeout the connection timeout
         * @return this builder
         */
        public Builder connectionTimeout(Duration connectionTimeout) {
            connection.connectionTimeout(connectionTimeout);
            return this;
        }

        /**
         * Authentication for the manager's own client, e.g. {@code ("digest", "user:password")}. With it, lock nodes
         * and their parents default to {@link ZooDefs.Ids#CREATOR_ALL_ACL}, so every manager sharing the namespace
         * must use the same identity.
         *
         * @param scheme the authentication scheme, e.g. {@code digest}
         * @param auth the scheme's credentials; never logged
         * @return this builder
         */
        public Builder authorization(String scheme, String auth) {
            connection.authorization(scheme, auth);
            return this;
        }

        /**
         * The ACL of lock nodes and the parents made for them. Default: {@link ZooDefs.Ids#CREATOR_ALL_ACL} with
         * {@link #authorization}, else {@link ZooDefs.Ids#OPEN_ACL_UNSAFE}.
         *
         * @param acl the ACL of the nodes
         * @return this builder
         */
        public Builder acl(List<ACL> acl) {
            connection.acl(acl);
            return this;
        }

        /**
         * Lease (= session timeout of an owned client), operation timeout, key prefix; renewal must stay on.
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Builds the manager. With a connect string it starts its client without waiting for the connection: an
         * unreachable ensemble shows as {@link LockBackendException} on the first calls, not here.
         *
         * @return the manager; it closes its own client, not a caller's
         * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
         *     owned client are combined with a caller's client, if the caller's client is not started, or if the
         *     settings ask for fixed leases
         */
        public LockManager build() {
            if (!settings.renewal()) {
                throw new IllegalArgumentException("ZooKeeper locks live as long as their session and cannot expire "
                        + "after a fixed lease: renewal=false is not supported");
            }
            LockSettings built = settings;
            return connection.open(built, "manager", (client, ownsClient, root, acl) -> LockManagerCore.create(
                    new ZooKeeperLockBackend(client, ownsClient, root, acl, built.operationTimeout()), built));
        }
    }
}
