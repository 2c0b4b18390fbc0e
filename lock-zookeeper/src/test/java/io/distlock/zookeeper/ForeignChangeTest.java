package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default ACL is open, so any session may delete or overwrite a lock node (an operator's {@code deleteall}, a
 * clean-up script). The holder is told at once ({@code NOT_OWNER}), says not held, and its stale {@code close()} never
 * removes the node of the next holder.
 */
class ForeignChangeTest {

    private static TestingServer server;
    private static CuratorFramework operator;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        operator = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static LockManager manager(String namespace) {
        return ZooKeeperLockManager.builder().connectString(server.getConnectString()).namespace(namespace).build();
    }

    private static String path(String namespace, String key) {
        return "/" + namespace + "/locks/" + ZnodeNames.encode(key);
    }

    @Test
    void deletedNodeIsReportedLostAndTheStaleCloseSparesTheSuccessor() throws Exception {
        String ns = "foreign-" + UUID.randomUUID();
        String key = "deleted-behind-its-back";
        try (LockManager first = manager(ns); LockManager second = manager(ns)) {
            LockHandle robbed = first.tryLock(key).orElseThrow();
            operator.delete().forPath(path(ns, key));

            LockLoss loss = robbed.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(robbed.isHeld()).isFalse();

            LockHandle successor = second.tryLock(key).orElseThrow();
            assertThat(successor.fencingToken()).isGreaterThan(robbed.fencingToken());
            robbed.close();
            Stat stat = operator.checkExists().forPath(path(ns, key));
            assertThat(stat).as("the successor's node after the robbed holder's close()").isNotNull();
            assertThat(stat.getCzxid()).isEqualTo(successor.fencingToken());
            assertThat(successor.isHeld()).isTrue();
            // A third manager still finds the key taken: no third holder.
            try (LockManager third = manager(ns)) {
                assertThat(third.tryLock(key)).isEmpty();
            }
            successor.close();
        }
    }

    @Test
    void overwrittenNodeIsReportedLost() throws Exception {
        String ns = "foreign-" + UUID.randomUUID();
        String key = "overwritten";
        try (LockManager manager = manager(ns)) {
            // Repeated: the overwrite often lands before the watch is in place, which the check must then see.
            for (int i = 0; i < 20; i++) {
                LockHandle handle = manager.tryLock(key).orElseThrow();
                operator.setData().forPath(path(ns, key), "someone else".getBytes(StandardCharsets.UTF_8));
                LockLoss loss = handle.lost().toCompletableFuture().get(10, TimeUnit.SECONDS);
                assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
                assertThat(handle.isHeld()).isFalse();
                handle.close();
                // Not ours any more, so not deleted by our close either.
                assertThat(operator.checkExists().forPath(path(ns, key))).isNotNull();
                operator.delete().forPath(path(ns, key));
            }
        }
    }

    /** Deleted and re-created by someone else between acquire and the first check: the check's czxid tells. */
    @Test
    void replacedNodeIsFoundByTheRenewalCheck() throws Exception {
        String ns = "foreign-" + UUID.randomUUID();
        String key = "replaced";
        try (LockManager first = manager(ns); LockManager second = manager(ns)) {
            for (int i = 0; i < 20; i++) {
                LockHandle handle = first.tryLock(key).orElseThrow();
                operator.delete().forPath(path(ns, key));
                LockHandle next = second.tryLock(key).orElseThrow();
                assertThat(handle.lost().toCompletableFuture().get(10, TimeUnit.SECONDS).reason())
                        .isEqualTo(LockLoss.Reason.NOT_OWNER);
                handle.close();
                assertThat(operator.checkExists().forPath(path(ns, key)).getCzxid()).isEqualTo(next.fencingToken());
                next.close();
            }
        }
    }
}
