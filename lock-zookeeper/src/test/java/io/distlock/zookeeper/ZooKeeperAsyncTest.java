package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the asynchronous TCK cannot see: the native create answers on the ZooKeeper event thread (no pool thread),
 * and a create answered after its deadline leaves no node behind.
 */
class ZooKeeperAsyncTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LEASE = Duration.ofSeconds(6);

    private static TestingServer server;
    private static CuratorFramework client;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        client = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    @Test
    void answersOnTheEventThreadWithTheCreatesOutcome() throws Exception {
        String ns = "async-" + UUID.randomUUID();
        try (ZooKeeperLockBackend backend = new ZooKeeperLockBackend(client, false, "/" + ns,
                ZooDefs.Ids.OPEN_ACL_UNSAFE, TIMEOUT)) {
            // The first create makes the parents: the blocking form on the pool.
            assertThat(backend.tryAcquireAsync("first", "o0", LEASE, deadline()).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS).isAcquired()).isTrue();

            CompletableFuture<String> thread = new CompletableFuture<>();
            AcquireResult acquired = backend.tryAcquireAsync("k", "o1", LEASE, deadline())
                    .whenComplete((r, e) -> thread.complete(Thread.currentThread().getName()))
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(acquired.isAcquired()).isTrue();
            assertThat(acquired.fencingToken()).isEqualTo(backend.read("k", deadline()).fencingToken());
            // The event thread, or this one if the answer came before whenComplete was attached; never the pool.
            assertThat(thread.get(5, TimeUnit.SECONDS)).doesNotStartWith("distlock-blocking");

            assertThat(backend.tryAcquireAsync("k", "o2", LEASE, deadline()).toCompletableFuture()
                    .get(5, TimeUnit.SECONDS).isAcquired()).isFalse();
            assertThat(backend.release("k", "o1")).isTrue();
        }
    }

    @Test
    void aCreateAnsweredAfterItsDeadlineLeavesNoNode() throws Exception {
        String ns = "async-" + UUID.randomUUID();
        AtomicInteger losses = new AtomicInteger();
        try (ZooKeeperLockBackend backend = new ZooKeeperLockBackend(client, false, "/" + ns,
                ZooDefs.Ids.OPEN_ACL_UNSAFE, TIMEOUT)) {
            LockBackend.LossListener listener = (key, owner, reason, cause) -> losses.incrementAndGet();
            backend.setLossListener(listener);
            backend.tryAcquire("parent-maker", "o0", LEASE, deadline());
            // The deadline has passed when the create is sent: the reply always comes after it.
            CompletableFuture<AcquireResult> late = backend.tryAcquireAsync("late", "o1", LEASE, System.nanoTime())
                    .toCompletableFuture();
            assertThatThrownBy(() -> late.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(LockBackendException.class);
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.read("late", deadline()) == null);
            assertThat(losses).hasValue(0);
        }
    }
}
