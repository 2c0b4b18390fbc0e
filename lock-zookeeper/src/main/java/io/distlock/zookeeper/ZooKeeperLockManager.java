package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import io.distlock.LockHandle;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
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
 * <p><b>Lease = session:</b> a lock lives as long as the session. When the manager builds its client, the session
 * timeout is {@link LockSettings#lease()} unless {@link Builder#sessionTimeout} says otherwise, so "a dead holder
 * frees its keys within one lease" holds as the server enforces the session timeout (which it clamps to its
 * {@code minSessionTimeout}/{@code maxSessionTimeout}, by default 2 and 20 ticks). Every third of the lease the
 * manager checks each held node with one request (batched), and {@link LockHandle#isHeld()} turns false one lease
 * after the last check the server answered, never later than the server could expire the session: a holder paused or
 * cut off longer than that says "not held" before anyone else can hold the key. Fixed-lease mode
 * ({@code renewal=false}) is not supported: the lock cannot expire while its session lives. A lost session (Curator
 * LOST, or a reconnect on another session) marks every handle of that session lost with
 * {@link io.distlock.LockLoss.Reason#SESSION_LOST}; a lock node deleted or changed by another session (the default ACL
 * allows it) is reported at once as {@link io.distlock.LockLoss.Reason#NOT_OWNER}, and its handle's release then
 * leaves whatever node is there alone.
 *
 * <p><b>Timeouts and outages:</b> {@link Builder#build()} connects first and fails within the connection timeout;
 * every call returns or throws {@link LockBackendException} within {@link LockSettings#operationTimeout()}; an
 * unreachable ensemble is never reported as a held key; an ensemble that refuses this client (authentication, ACLs)
 * is a {@link io.distlock.LockConfigurationException}. {@code close()} returns within about one operation timeout
 * (plus a quarter of it for the session's close) even against a server that accepts connections but never answers.
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
    private static final Logger log = LoggerFactory.getLogger(ZooKeeperLockManager.class);

    private ZooKeeperLockManager() {
    }

    /**
     * A new builder with the default settings and no client or ensemble chosen yet.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds ZooKeeper managers, either on a client the caller owns ({@link #client}) or on a client the manager
     * creates from {@link #connectString} and closes with itself. Not thread safe; {@link #build()} may be called
     * repeatedly.
     */
    public static final class Builder extends ZooKeeperClientBuilder<Builder> {
        private LockSettings settings = LockSettings.defaults();

        private Builder() {
        }

        /**
         * Lease (= session timeout of an owned client, and the local deadline of {@link LockHandle#isHeld()}),
         * operation timeout, key prefix, ticker; renewal must stay on. Default {@link LockSettings#defaults()}.
         *
         * @param settings the settings
         * @return this builder
         * @throws NullPointerException if {@code settings} is null
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Builds the manager. Unless {@link #connectLazily}, it waits for the connection first (up to the connection
         * timeout for an own client, the operation timeout for a caller's), so that an unreachable ensemble or a
         * refused authentication shows here. When the session the server granted is shorter than the lease, the
         * handles' local deadline follows the session instead.
         *
         * @return a new manager; it closes the client it created, never the caller's
         * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
         *     owned client are combined with a caller's client, if the caller's client is not started, if the
         *     settings ask for fixed leases, or if the operation timeout is longer than a third of the lease or of
         *     the session the server granted
         * @throws io.distlock.LockConfigurationException if the ensemble refused the client's authentication
         * @throws LockBackendException if no connection was made in time
         */
        public LockManager build() {
            if (!settings.renewal()) {
                throw new IllegalArgumentException("ZooKeeper locks live as long as their session and cannot expire "
                        + "after a fixed lease: renewal=false is not supported");
            }
            LockSettings built = settings;
            return open(built, "manager", (client, ownsClient, root, acl) -> {
                // Before the backend exists: a rejection must not leave a listener on a caller's client.
                LockSettings effective = withinSession(client, built);
                return LockManagerCore.create(
                        new ZooKeeperLockBackend(client, ownsClient, root, acl, built.operationTimeout()), effective);
            });
        }

        /**
         * The settings with the lease no longer than the session the server granted: a handle must stop saying held
         * before the server can have expired its session.
         */
        private static LockSettings withinSession(CuratorFramework client, LockSettings settings) {
            int negotiatedMs;
            try {
                ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
                negotiatedMs = zk.getState().isConnected() ? zk.getSessionTimeout() : 0;
            } catch (Exception e) {
                negotiatedMs = 0;
            }
            if (negotiatedMs <= 0 || negotiatedMs >= settings.lease().toMillis()) {
                return settings;
            }
            Duration session = Duration.ofMillis(Math.max(LockSettings.MIN_LEASE.toMillis(), negotiatedMs));
            if (settings.operationTimeout().compareTo(session.dividedBy(3)) > 0) {
                // Each check must be able to take its whole timeout and still confirm the lock within the session.
                throw new IllegalArgumentException("the ZooKeeper server granted a session timeout of " + session
                        + " (shorter than the lease " + settings.lease() + "), and the operation timeout "
                        + settings.operationTimeout() + " is longer than a third of it: use an operation timeout of "
                        + "at most " + session.dividedBy(3) + ", or raise the server's maxSessionTimeout");
            }
            log.info("the ZooKeeper session timeout granted by the server ({}) is shorter than the lease ({}); "
                    + "handles follow the session", session, settings.lease());
            return settings.withLease(session);
        }
    }
}
