package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/** Sessions are the lease: what holders, waiters and successors see when a session ends or a server restarts. */
class SessionTest {

    private TestingServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final String namespace = "session-" + UUID.randomUUID();

    @BeforeEach
    void start() throws Exception {
        server = ZooKeeperServers.server();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        server.close();
    }

    private CuratorFramework client(Duration sessionTimeout) {
        CuratorFramework client = ZooKeeperServers.client(server.getConnectString(), sessionTimeout);
        closeables.add(client);
        return client;
    }

    private LockManager manager(CuratorFramework client) {
        // Sessions here are as short as 3 s: each check must fit a third of the session.
        LockManager manager = ZooKeeperLockManager.builder().client(client).namespace(namespace)
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofMillis(900))).build();
        closeables.add(manager);
        return manager;
    }

    private String path(String key) {
        return "/" + namespace + "/locks/" + ZnodeNames.encode(key);
    }

    @Test
    void holderSessionExpiryReportsLossFreesKeyAndSuccessorGetsLargerToken() throws Exception {
        CuratorFramework holderClient = client(Duration.ofSeconds(3));
        LockManager holder = manager(holderClient);
        LockManager successor = manager(client(Duration.ofSeconds(3)));
        String key = "expiring";
        LockHandle held = holder.tryLock(key).orElseThrow();
        assertThat(successor.tryLock(key)).isEmpty();

        ZooKeeperServers.expireSession(holderClient, server.getConnectString());

        LockLoss loss = held.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.SESSION_LOST);
        assertThat(loss.fencingToken()).isEqualTo(held.fencingToken());
        assertThat(held.isHeld()).isFalse();
        try (LockHandle next = successor.tryLock(key).orElseThrow()) {
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            // The stale handle's close must not touch the successor's node.
            assertThatCode(held::close).doesNotThrowAnyException();
            assertThat(holder.tryLock(key)).isEmpty();
            assertThat(next.isHeld()).isTrue();
        }
        // The holder's manager works again on its new session.
        holder.tryLock("after-expiry").orElseThrow().close();
    }

    /**
     * Curator #1121 (CURATOR-604): after a session expiry the client runs on a new session while the server still
     * shows the old session's node for a while. InterProcessMutex took that node for its own and granted the lock
     * twice. Here the node is someone else's (another session's) until the server removes it: held, never acquired.
     */
    @Test
    void neverAdoptsTheNodeOfItsOwnExpiredSession() throws Exception {
        // A long session keeps the window open long enough to look into it on a loaded machine.
        CuratorFramework holderClient = client(Duration.ofSeconds(6));
        LockManager holder = manager(holderClient);
        LockManager other = manager(client(Duration.ofSeconds(6)));
        String key = "curator-1121";
        LockHandle held = holder.tryLock(key).orElseThrow();
        long oldSession = holderClient.getZookeeperClient().getZooKeeper().getSessionId();

        // Client-side expiry only: the client moves to a new session, the server keeps the old one (and its node)
        // until its session timeout, exactly the window in which #1121 double-granted.
        holderClient.getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
        assertThat(held.lost().toCompletableFuture().get(10, TimeUnit.SECONDS).reason())
                .isEqualTo(LockLoss.Reason.SESSION_LOST);
        ZooKeeperServers.awaitNewSession(holderClient, oldSession);

        CuratorFramework inspector = client(Duration.ofSeconds(10));
        Stat stale = inspector.checkExists().forPath(path(key));
        assumeThat(stale).as("the old session's node is still on the server (the #1121 window)").isNotNull();
        assertThat(stale.getEphemeralOwner()).isEqualTo(oldSession);

        Optional<LockHandle> again = holder.tryLock(key);
        again.ifPresent(LockHandle::close);
        // Adopting means being handed the old session's node itself. On a loaded machine the server may expire the
        // old session between the look above and this attempt; the create then makes a fresh node, a later grant.
        assertThat(again.map(LockHandle::fencingToken).orElse(Long.MAX_VALUE))
                .as("the new session adopted the old session's node").isGreaterThan(stale.getCzxid());
        if (again.isEmpty()) {
            assertThat(other.tryLock(key)).isEmpty();
        }

        // Once the server expires the old session, the key frees and the next token is larger.
        LockHandle next = await("the old session's node goes").atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(50)).until(() -> holder.tryLock(key).orElse(null), h -> h != null);
        try (next) {
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            assertThat(other.tryLock(key)).isEmpty();
        }
        held.close();
    }

    @Test
    void waiterIsWokenByTheHoldersSessionExpiry() throws Exception {
        CuratorFramework holderClient = client(Duration.ofSeconds(3));
        LockManager holder = manager(holderClient);
        LockManager waiter = manager(client(Duration.ofSeconds(3)));
        String key = "wake-on-expiry";
        LockHandle held = holder.tryLock(key).orElseThrow();
        CompletableFuture<Optional<LockHandle>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return waiter.tryLock(key, Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        ZooKeeperServers.expireSession(holderClient, server.getConnectString());
        // A watch on the node, not a poll: the 60 s wait ends as soon as the node is deleted.
        Optional<LockHandle> got = waiting.get(20, TimeUnit.SECONDS);
        assertThat(got).isPresent();
        try (LockHandle next = got.get()) {
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
        }
    }

    @Test
    void releaseDuringAnOutageIsCompletedOnceTheSameSessionReconnects() throws Exception {
        // A 30 s session outlives the outage, so only the orphan clean-up can free the key in time.
        CuratorFramework holderClient = client(LockSettings.DEFAULT_LEASE);
        LockManager holder = manager(holderClient);
        LockManager other = manager(client(LockSettings.DEFAULT_LEASE));
        String key = "release-in-outage";
        LockHandle held = holder.tryLock(key).orElseThrow();
        long session = holderClient.getZookeeperClient().getZooKeeper().getSessionId();
        server.stop();
        try {
            assertThatCode(held::close).doesNotThrowAnyException();
        } finally {
            server.restart();
        }
        LockHandle next = await("the key released during the outage frees after reconnecting")
                .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                .ignoreException(io.distlock.LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        next.close();
        assertThat(holderClient.getZookeeperClient().getZooKeeper().getSessionId())
                .as("the holder kept its session, so the key was freed by deleting the orphan, not by expiry")
                .isEqualTo(session);
    }

    /**
     * A caller's client keeps its session after the manager closes. Closing a manager during an outage abandons its
     * releases after the first fails, and nodes with unknown outcomes are left: all of them must still be deleted
     * once that session reconnects, or their keys stay locked as long as the caller's session lives.
     */
    @Test
    void managerClosedDuringAnOutageStillFreesItsKeysOnTheCallersClient() throws Exception {
        CuratorFramework holderClient = client(LockSettings.DEFAULT_LEASE);
        LockManager holder = ZooKeeperLockManager.builder().client(holderClient).namespace(namespace).build();
        LockManager other = manager(client(LockSettings.DEFAULT_LEASE));
        List<String> keys = List.of("closed-in-outage-1", "closed-in-outage-2", "closed-in-outage-3");
        for (String key : keys) {
            holder.tryLock(key).orElseThrow();
        }
        long session = holderClient.getZookeeperClient().getZooKeeper().getSessionId();
        server.stop();
        try {
            assertThatCode(holder::close).doesNotThrowAnyException();
        } finally {
            server.restart();
        }
        for (String key : keys) {
            LockHandle next = await("the key of the closed manager frees after its client reconnects")
                    .atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
                    .ignoreException(io.distlock.LockBackendException.class)
                    .until(() -> other.tryLock(key).orElse(null), h -> h != null);
            next.close();
        }
        assertThat(holderClient.getZookeeperClient().getZooKeeper().getSessionId())
                .as("the caller's client kept its session, so the nodes were deleted, not expired").isEqualTo(session);
    }
}
