package io.distlock.zookeeper;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.apache.curator.test.TestingZooKeeperServer;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.FourLetterWordMain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** In-process ZooKeeper servers for tests: loopback only, short ticks, and the session tools the tests need. */
final class ZooKeeperServers {

    /** Short ticks so that sessions as short as 200 ms are allowed (minSessionTimeout = 2 ticks). */
    static final int TICK_MS = 100;

    static {
        // Empty containers are reaped quickly, so tests see the parents go (read by the server as a system property).
        System.setProperty("znode.container.checkIntervalMs", "500");
        // TestingZooKeeperServer disables the admin server already; this covers any other embedded path.
        System.setProperty("zookeeper.admin.enableServer", "false");
    }

    private ZooKeeperServers() {
    }

    /** A started standalone server on 127.0.0.1 and a free port, keeping its data across stop/restart. */
    static TestingServer server() throws Exception {
        return new TestingServer(spec(-1), true);
    }

    /** A started 3-server ensemble on 127.0.0.1. */
    static TestingCluster cluster(int size) throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            specs.add(spec(i));
        }
        TestingCluster cluster = new TestingCluster(specs);
        cluster.start();
        return cluster;
    }

    private static InstanceSpec spec(int serverId) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("clientPortAddress", "127.0.0.1");
        // Sessions as long as the default 30 s lease must not be clamped to 20 ticks.
        properties.put("maxSessionTimeout", "60000");
        return new InstanceSpec(null, -1, -1, -1, true, serverId, TICK_MS, -1, properties, "127.0.0.1");
    }

    /** A started client with {@code sessionTimeout}, set up as the manager sets up its own. */
    static CuratorFramework client(String connectString, Duration sessionTimeout) {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connectString)
                .sessionTimeoutMs((int) sessionTimeout.toMillis()).connectionTimeoutMs(2_000)
                .retryPolicy(new RetryNTimes(0, 0))
                .simulatedSessionExpirationPercent(ZooKeeperLockManager.SESSION_EXPIRATION_PERCENT)
                .ensembleTracker(false).build();
        client.start();
        return client;
    }

    /**
     * Expires the session of {@code client} on the server, as an expiry after a partition would: another connection
     * takes the session over and closes it, which deletes its ephemeral nodes at once. Returns once the client runs on
     * a new session.
     */
    static void expireSession(CuratorFramework client, String connectString) throws Exception {
        ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
        long sessionId = zk.getSessionId();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper killer = new ZooKeeper(connectString, 10_000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, sessionId, zk.getSessionPasswd());
        try {
            if (!connected.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("could not take over session 0x" + Long.toHexString(sessionId));
            }
        } finally {
            killer.close();
        }
        awaitNewSession(client, sessionId);
    }

    /** Waits until {@code client} is connected on another session than {@code oldSessionId}. */
    static void awaitNewSession(CuratorFramework client, long oldSessionId) {
        await("a new session replaces 0x" + Long.toHexString(oldSessionId)).atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(10)).ignoreExceptions()
                .until(() -> client.getZookeeperClient().isConnected()
                        && client.getZookeeperClient().getZooKeeper().getSessionId() != oldSessionId
                        && client.getZookeeperClient().getZooKeeper().getSessionId() != 0);
    }

    /** The current leader of {@code cluster}, found with the {@code srvr} four-letter word. */
    static Optional<TestingZooKeeperServer> leader(TestingCluster cluster) {
        for (TestingZooKeeperServer server : cluster.getServers()) {
            InstanceSpec spec = server.getInstanceSpec();
            try {
                String out = FourLetterWordMain.send4LetterWord(spec.getHostname(), spec.getPort(), "srvr", false, 500);
                if (out.contains("Mode: leader")) {
                    return Optional.of(server);
                }
            } catch (Exception e) {
                // A dead or electing server does not answer: not the leader.
            }
        }
        return Optional.empty();
    }
}
