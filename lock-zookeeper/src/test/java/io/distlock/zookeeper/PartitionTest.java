package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A holder cut off from the ensemble without its connection being reset (a loopback proxy that stops forwarding, as a
 * partition that drops packets): the server expires its session and another client takes the key; by then the cut-off
 * holder already says not held, and it is told it lost the lock.
 */
class PartitionTest {

    private TestingServer server;
    private SilentProxy proxy;
    private LockManager holder;
    private LockManager successor;

    @BeforeEach
    void start() throws Exception {
        server = ZooKeeperServers.server();
        proxy = SilentProxy.to(server.getPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (holder != null) {
            holder.close();
        }
        if (successor != null) {
            successor.close();
        }
        proxy.close();
        server.close();
    }

    @Test
    void holderCutOffFromTheEnsembleSaysNotHeldBeforeASuccessorGetsTheKey() throws Exception {
        String namespace = "partition-" + UUID.randomUUID();
        String key = "cut-off";
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(2))
                .withOperationTimeout(Duration.ofMillis(500));
        holder = ZooKeeperLockManager.builder().connectString(proxy.connectString()).namespace(namespace)
                .settings(settings).build();
        successor = ZooKeeperLockManager.builder().connectString(server.getConnectString()).namespace(namespace)
                .settings(settings).build();
        LockHandle held = holder.tryLock(key).orElseThrow();

        proxy.silence();
        LockHandle next = await("the server expires the cut-off holder's session").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20)).until(() -> successor.tryLock(key).orElse(null), h -> h != null);
        assertThat(held.isHeld()).as("the cut-off holder still says held while %d holds the key",
                next.fencingToken()).isFalse();
        assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
        LockLoss loss = held.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(loss.reason()).isIn(LockLoss.Reason.SESSION_LOST, LockLoss.Reason.BACKEND_UNREACHABLE);
        next.close();
    }
}
