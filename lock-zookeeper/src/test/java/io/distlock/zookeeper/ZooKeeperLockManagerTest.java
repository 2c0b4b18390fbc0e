package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ClientWatchers;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Builder, URI and node layout of the manager-owned client path, against one TestingServer. */
class ZooKeeperLockManagerTest {

    private static TestingServer server;
    private static CuratorFramework inspector;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        inspector = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static String namespace() {
        return "test-" + UUID.randomUUID();
    }

    @Test
    void uriBuildsAManagerThatOwnsItsClient() throws Exception {
        String ns = namespace();
        URI uri = URI.create("zookeeper://" + server.getConnectString() + "/" + ns
                + "?lease=10s&timeout=1s&sessionTimeout=5s&connectionTimeout=2s&prefix=app:");
        try (LockManager a = LockManagers.create(uri); LockManager b = LockManagers.create(uri)) {
            try (LockHandle handle = a.tryLock("order-42").orElseThrow()) {
                assertThat(b.tryLock("order-42")).isEmpty();
                String path = "/" + ns + "/locks/" + ZnodeNames.encode("app:order-42");
                Stat stat = inspector.checkExists().forPath(path);
                assertThat(stat).as("lock node %s", path).isNotNull();
                assertThat(stat.getEphemeralOwner()).isNotZero();
                assertThat(handle.fencingToken()).isEqualTo(stat.getCzxid());
                byte[] owner = inspector.getData().forPath(path);
                assertThat(new String(owner, StandardCharsets.UTF_8)).isNotBlank();
            }
            assertThat(b.tryLock("order-42")).isPresent().get().satisfies(LockHandle::close);
        }
    }

    @Test
    void unknownUriParameterIsRejected() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("zookeeper://" + server.getConnectString()
                + "/x?sessiontimeout=5s"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessiontimeout");
    }

    @Test
    void parentsAreContainersThatGoAwayWhenEmpty() throws Exception {
        String ns = namespace();
        try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(ns).build()) {
            manager.tryLock("k").orElseThrow().close();
        }
        // Netflix/curator #307: nothing may pile up. The server reaps empty containers (check interval 500 ms here).
        await("empty lock parents are reaped").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> inspector.checkExists().forPath("/" + ns) == null);
    }

    @Test
    void callerClientWithCuratorNamespace() throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .namespace("app-" + UUID.randomUUID()).retryPolicy(new RetryNTimes(0, 0)).build();
        client.start();
        try (client; LockManager manager = ZooKeeperLockManager.builder().client(client).namespace("a/b").build()) {
            try (LockHandle ignored = manager.tryLock("x").orElseThrow()) {
                assertThat(client.checkExists().forPath("/a/b/locks/" + ZnodeNames.encode("x"))).isNotNull();
            }
        }
    }

    @Test
    void digestAuthProtectsLockNodes() throws Exception {
        String ns = namespace();
        URI uri = URI.create("zookeeper://distlock:secret@" + server.getConnectString() + "/" + ns);
        try (LockManager manager = LockManagers.create(uri); LockHandle ignored = manager.tryLock("k").orElseThrow()) {
            String path = "/" + ns + "/locks/" + ZnodeNames.encode("k");
            // Someone without the identity can neither read nor delete the lock (CREATOR_ALL on node and parents).
            assertThatThrownBy(() -> inspector.getData().forPath(path)).hasMessageContaining("NoAuth");
            assertThatThrownBy(() -> inspector.delete().forPath(path)).hasMessageContaining("NoAuth");
        }
    }

    @Test
    void unreachableEnsembleThrowsWithinTheOperationTimeoutOnALazyManager() {
        int deadPort = InstanceSpec.getRandomPort();
        Duration timeout = Duration.ofMillis(500);
        try (LockManager manager = ZooKeeperLockManager.builder().connectString("127.0.0.1:" + deadPort)
                .connectLazily(true).settings(LockSettings.defaults().withOperationTimeout(timeout)).build()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock("unreachable-key")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("unreachable-key");
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            // Not a timing benchmark: only "within the operation timeout plus a margin for a loaded machine".
            assertThat(took).isLessThan(timeout.plusSeconds(2));
        }
    }

    @Test
    void foreignNodeAtTheLockPathIsHeldNotAdopted() throws Exception {
        String ns = namespace();
        String path = "/" + ns + "/locks/" + ZnodeNames.encode("taken");
        inspector.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(path);
        try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(ns).build()) {
            assertThat(manager.tryLock("taken")).isEmpty();
            inspector.delete().forPath(path);
            assertThat(manager.tryLock("taken")).isPresent().get().satisfies(LockHandle::close);
        }
    }

    /**
     * Every waiting call sends an exists watch, and the client keeps a registered watcher object until the node next
     * changes. Many short waits on a key held for long must not pile watcher objects up in the client (each one would
     * also be fired at the release): all waiting calls on a key share one.
     */
    @Test
    void shortWaitsOnAHeldKeyLeaveOneWatcherThatStillWakesAWaiter() throws Exception {
        String ns = namespace();
        String key = "busy";
        String path = "/" + ns + "/locks/" + ZnodeNames.encode(key);
        CuratorFramework client = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
        try (client;
             LockManager holder = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                     .namespace(ns).build();
             LockManager waiter = ZooKeeperLockManager.builder().client(client).namespace(ns).build()) {
            LockHandle held = holder.tryLock(key).orElseThrow();
            for (int i = 0; i < 200; i++) {
                assertThat(waiter.tryLock(key, Duration.ofMillis(2))).isEmpty();
            }
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            assertThat(ClientWatchers.count(zk, path)).as("watcher objects the client keeps for %s", path)
                    .isEqualTo(1);

            CompletableFuture<Optional<LockHandle>> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return waiter.tryLock(key, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            held.close();
            Optional<LockHandle> got = waiting.get(20, TimeUnit.SECONDS);
            assertThat(got).isPresent();
            got.get().close();
            // With nobody waiting, the next change of the node retires the watch instead of re-arming it.
            await("the idle watch is retired").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> ClientWatchers.count(zk, path) == 0);
        }
    }

    /** Handles follow the session when it is shorter than the lease; a timeout that cannot fit it is refused. */
    @Test
    void sessionShorterThanTheLeaseMustFitTheOperationTimeout() {
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(namespace()).sessionTimeout(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the ZooKeeper server granted a session timeout of PT1S (shorter than the "
                        + "lease PT30S), and the operation timeout PT3S is longer than a third of it");
        try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(namespace()).sessionTimeout(Duration.ofSeconds(3))
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofMillis(900))).build()) {
            manager.tryLock("short-session").orElseThrow().close();
        }
    }

    @Test
    void builderRejectsMisuse() {
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .settings(LockSettings.defaults().withRenewal(false)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewal=false");
        CuratorFramework notStarted = CuratorFrameworkFactory.newClient(server.getConnectString(),
                new RetryNTimes(0, 0));
        try (notStarted) {
            assertThatThrownBy(() -> ZooKeeperLockManager.builder().client(notStarted).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("started");
        }
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().client(inspector)
                .sessionTimeout(Duration.ofSeconds(1)).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sessionTimeout");
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().namespace("a//b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().acl(java.util.List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ZooDefs.Ids.CREATOR_ALL_ACL).isNotEmpty();
    }
}
