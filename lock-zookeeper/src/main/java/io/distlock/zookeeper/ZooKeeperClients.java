package io.distlock.zookeeper;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.common.PathUtils;
import org.apache.zookeeper.data.ACL;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the builders of the lock manager and the record store share: validation of their common options, the default
 * ACL, and the client they build when they own it. One place, so both entry points accept and build the same.
 */
final class ZooKeeperClients {

    private ZooKeeperClients() {
    }

    static String connectString(String connectString) {
        Objects.requireNonNull(connectString, "connectString must not be null");
        if (connectString.isBlank()) {
            throw new IllegalArgumentException("connectString must not be blank");
        }
        return connectString;
    }

    /** The namespace without leading or trailing slashes; empty means the root. */
    static String namespace(String namespace) {
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
        return trimmed;
    }

    /** The absolute path of a namespace, {@code /} for the root. */
    static String root(String namespace) {
        return namespace.isEmpty() ? "/" : "/" + namespace;
    }

    static List<ACL> acl(List<ACL> acl) {
        Objects.requireNonNull(acl, "acl must not be null");
        if (acl.isEmpty()) {
            throw new IllegalArgumentException("acl must not be empty");
        }
        return List.copyOf(acl);
    }

    /** The given ACL, else CREATOR_ALL with authentication, else OPEN. */
    static List<ACL> aclOrDefault(List<ACL> acl, String authScheme) {
        return acl != null ? acl : authScheme != null ? ZooDefs.Ids.CREATOR_ALL_ACL : ZooDefs.Ids.OPEN_ACL_UNSAFE;
    }

    static Duration positive(Duration d, String name) {
        Objects.requireNonNull(d, name + " must not be null");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
        return d;
    }

    /**
     * Checks the choice between a caller's client and a connect string, and that options of an owned client are not
     * combined with a caller's one.
     */
    static void checkClientChoice(CuratorFramework client, String connectString, boolean ownedClientOptions,
                                  String built) {
        if ((client == null) == (connectString == null)) {
            throw new IllegalArgumentException("set exactly one of client(CuratorFramework) and connectString");
        }
        if (client != null) {
            if (ownedClientOptions) {
                throw new IllegalArgumentException("sessionTimeout, connectionTimeout and authorization configure "
                        + "the " + built + "'s own client; set them on the CuratorFramework you pass instead");
            }
            if (client.getState() != CuratorFrameworkState.STARTED) {
                throw new IllegalArgumentException("the CuratorFramework must be started, it is " + client.getState());
            }
        }
    }

    /**
     * A client as the entry points build their own: no retries (requests bypass Curator's retry loop; this only keeps
     * Curator from retrying anything else on a new session behind our back), LOST reported early (see
     * {@link ZooKeeperLockManager#SESSION_EXPIRATION_PERCENT}), no ensemble tracking. Not started.
     */
    static CuratorFramework newClient(String connectString, Duration session, Duration connection, String authScheme,
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
