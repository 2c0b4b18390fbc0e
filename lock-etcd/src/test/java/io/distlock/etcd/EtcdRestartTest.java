package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A server killed (SIGKILL) and restarted on its data: held locks survive (their lease is persisted and etcd extends
 * leases when a leader takes over), managers work again without being rebuilt, and fencing tokens keep increasing,
 * because the revision counter is part of the persisted store.
 */
@DisplayName("etcd: server killed and restarted")
class EtcdRestartTest {

    private EtcdServer server;
    private final List<LockManager> managers = new ArrayList<>();

    @BeforeEach
    void start() {
        server = EtcdServer.start();
    }

    @AfterEach
    void stop() {
        managers.forEach(LockManager::close);
        server.close();
    }

    private LockManager manager() {
        LockManager manager = LockManagers.create(URI.create("etcd://" + server.endpoint()
                + "/restart?timeout=2s&lease=10s"));
        managers.add(manager);
        return manager;
    }

    @Test
    @DisplayName("clause 1.1, 7.1, 9.3: a held lock survives a restart, and tokens keep increasing after it")
    void locksAndTokensSurviveARestart() {
        LockManager a = manager();
        LockManager b = manager();
        String key = "restart-" + UUID.randomUUID();
        LockHandle held = a.tryLock(key).orElseThrow();
        long before = held.fencingToken();

        server.restart(true);

        // The lock is still there after the restart: the other manager cannot take it, and the holder keeps it.
        assertThat(await().atMost(Duration.ofSeconds(20)).ignoreException(LockBackendException.class)
                .until(() -> b.tryLock(key), r -> true)).as("%s granted twice across a restart", key).isEmpty();
        assertThat(held.isHeld()).isTrue();
        held.close();
        LockHandle next = b.tryLock(key).orElseThrow();
        assertThat(next.fencingToken()).as("token after the restart").isGreaterThan(before);
        next.close();
    }

    @Test
    @DisplayName("clause 9.1, 9.3: a stopped server is an outage, not contention; the manager works once it is back")
    void stoppedServerIsAnOutage() {
        LockManager a = manager();
        String key = "stopped-" + UUID.randomUUID();
        a.tryLock(key).orElseThrow().close();
        server.kill();
        long start = System.nanoTime();
        try {
            a.tryLock(key).ifPresent(h -> {
                h.close();
                throw new AssertionError("a stopped server granted " + key);
            });
            throw new AssertionError("a stopped server answered 'held' for " + key);
        } catch (LockBackendException expected) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
            assertThat(expected.getMessage()).contains(key);
        }
        server.restart(true);
        LockHandle again = await().atMost(Duration.ofSeconds(20)).ignoreException(LockBackendException.class)
                .until(() -> a.tryLock(key).orElse(null), h -> h != null);
        again.close();
    }

    @Test
    @DisplayName("clause 5.1: with renewal, held locks survive a server pause shorter than the lease")
    void shortPauseKeepsLocks() {
        LockManager a = manager();
        LockManager b = manager();
        String key = "pause-" + UUID.randomUUID();
        LockHandle held = a.tryLock(key).orElseThrow();
        server.pause();
        try {
            await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
        } finally {
            server.resume();
        }
        assertThat(await().atMost(Duration.ofSeconds(10)).ignoreException(LockBackendException.class)
                .until(() -> b.tryLock(key), r -> true)).isEmpty();
        assertThat(held.isHeld()).isTrue();
        assertThat(held.lost().toCompletableFuture().isDone()).isFalse();
        held.close();
    }
}
