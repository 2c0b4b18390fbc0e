package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tryLock(key, 400 ms)} ends within the wait plus one operation timeout even while Curator replaces the
 * waiter's expired session again and again (fault runs once measured 2.59 s against a bound of 1.4 s).
 */
class BoundedWaitTest {

    private static final Logger log = LoggerFactory.getLogger(BoundedWaitTest.class);
    private static final Duration WAIT = Duration.ofMillis(400);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Room for a loaded 2-core machine on top of the bound; far below what an unbounded step costs. */
    private static final Duration SLACK = Duration.ofMillis(700);

    private TestingServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

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

    @Test
    void boundedWaitEndsInTimeWhileTheSessionIsReplaced() throws Exception {
        String namespace = "bounded-" + UUID.randomUUID();
        String key = "held-elsewhere";
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(4)).withOperationTimeout(TIMEOUT);
        LockManager holder = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(namespace).settings(settings).build();
        closeables.add(holder);
        CuratorFramework waiterClient = ZooKeeperServers.client(server.getConnectString(), settings.lease());
        closeables.add(waiterClient);
        LockManager waiter = ZooKeeperLockManager.builder().client(waiterClient).namespace(namespace)
                .settings(settings).build();
        closeables.add(waiter);
        LockHandle held = holder.tryLock(key).orElseThrow();

        AtomicBoolean running = new AtomicBoolean(true);
        List<Throwable> expiryFailures = new CopyOnWriteArrayList<>();
        Thread expirer = new Thread(() -> {
            for (int i = 0; i < 6 && running.get(); i++) {
                try {
                    ZooKeeperServers.expireSession(waiterClient, server.getConnectString());
                } catch (Throwable t) {
                    expiryFailures.add(t);
                    return;
                }
            }
            running.set(false);
        }, "session-expirer");
        expirer.start();
        long worstNanos = 0;
        int calls = 0;
        int failed = 0;
        try {
            while (running.get()) {
                long start = System.nanoTime();
                try {
                    assertThat(waiter.tryLock(key, WAIT)).isEmpty();
                } catch (LockBackendException e) {
                    failed++;
                }
                worstNanos = Math.max(worstNanos, System.nanoTime() - start);
                calls++;
            }
        } finally {
            running.set(false);
            expirer.join(60_000);
        }
        log.info("{} bounded waits ({} failed) across 6 session replacements, longest {} ms", calls, failed,
                worstNanos / 1_000_000);
        assertThat(expiryFailures).isEmpty();
        assertThat(Duration.ofNanos(worstNanos)).as("longest tryLock(key, %s)", WAIT)
                .isLessThan(WAIT.plus(TIMEOUT).plus(SLACK));
        held.close();
    }
}
