package io.distlock.zookeeper;

import io.distlock.LockSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.data.ACL;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The options the builders of the lock manager and the record store share, and how both turn them into a client:
 * validation of each option as it is set, the choice between a caller's client and a connect string, the default ACL,
 * and the client they build, start and (on failure) close when they own it. One place, so both entry points accept and
 * build the same. Not thread safe, like the builders that hold it.
 */
final class ZooKeeperConnection {

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

    void client(CuratorFramework client) {
        this.client = Objects.requireNonNull(client, "client must not be null");
    }

    void connectString(String connectString) {
        Objects.requireNonNull(connectString, "connectString must not be null");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("connectString must not be blank");
        }
        this.connectString = connectString;
    }

    /** Kept without leading or trailing slashes; empty means the root. */
    void namespace(String namespace) {
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
    }

    void sessionTimeout(Duration sessionTimeout) {
        this.sessionTimeout = positive(sessionTimeout, "sessionTimeout");
    }

    void connectionTimeout(Duration connectionTimeout) {
        this.connectionTimeout = positive(connectionTimeout, "connectionTimeout");
    }

    void authorization(String scheme, String auth) {
        Objects.requireNonNull(scheme, "scheme must not be null");
        Objects.requireNonNull(auth, "auth must not be null");
        this.authScheme = scheme;
        this.auth = auth.getBytes(StandardCharsets.UTF_8);
    }

    void acl(List<ACL> acl) {
        Objects.requireNonNull(acl, "acl must not be null");
        if (acl.isEmpty()) {
            throw new IllegalArgumentException("acl must not be empty");
        }
        this.acl = List.copyOf(acl);
    }

    /**
     * Checks the options and opens what {@code opener} builds: on the caller's client, or on a client built and
     * started here, which is closed again if the opener fails. The namespace becomes the root path ({@code /} for
     * the root), and the ACL defaults to CREATOR_ALL with authentication, else OPEN.
     *
     * @param built what is built, for messages ({@code manager}, {@code record store})
     * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
     *     owned client are combined with a caller's client, or if the caller's client is not started
     */
    <T> T open(LockSettings settings, String built, Opener<T> opener) {
        if ((client == null) == (connectString == null)) {
            throw new IllegalArgumentException("set exactly one of client(CuratorFramework) and connectString");
        }
        List<ACL> nodeAcl = acl != null ? acl
                : authScheme != null ? ZooDefs.Ids.CREATOR_ALL_ACL : ZooDefs.Ids.OPEN_ACL_UNSAFE;
        String root = namespace.isEmpty() ? "/" : "/" + namespace;
        if (client != null) {
            if (sessionTimeout != null || connectionTimeout != null || authScheme != null) {
                throw new IllegalArgumentException("sessionTimeout, connectionTimeout and authorization configure "
                        + "the " + built + "'s own client; set them on the CuratorFramework you pass instead");
            }
            if (client.getState() != CuratorFrameworkState.STARTED) {
                throw new IllegalArgumentException("the CuratorFramework must be started, it is " + client.getState());
            }
            return opener.open(client, false, root, nodeAcl);
        }
        CuratorFramework owned = newClient(connectString,
                sessionTimeout != null ? sessionTimeout : settings.lease(),
                connectionTimeout != null ? connectionTimeout : settings.operationTimeout(), authScheme, auth);
        try {
            owned.start();
            return opener.open(owned, true, root, nodeAcl);
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
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
     * {@link ZooKeeperLockManager#SESSION_EXPIRATION_PERCENT}), no ensemble tracking. Not started.
     */
    private static CuratorFramework newClient(String connectString, Duration session, Duration connection, String authScheme,
                                      byte[] auth) {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .sessionTimeoutMs(saturatedMillis(session))
                .connectionTimeoutMs(saturatedMillis(connection))
                .retryPolicy(new RetryNTimes(0, 0))
                .simulatedSessionExpirationPercent(ZooKeeperLockManager.SESSION_EXPIRATION_PERCENT)
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
