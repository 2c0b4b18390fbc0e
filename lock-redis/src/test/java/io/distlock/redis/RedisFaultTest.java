package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Faults of a real redis-server that the TCK's generic faults do not cover: a server stalled for longer than the
 * lease, a restart that lost all data, a server that is gone. Each test has its own server.
 */
@DisplayName("redis: faults of a real server")
class RedisFaultTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final Duration LEASE = Duration.ofMillis(600);
    private static final Duration SOON = Duration.ofSeconds(10);

    private final List<AutoCloseable> resources = new ArrayList<>();

    private RedisServer server(String... args) {
        RedisServer server = RedisServer.start(args);
        resources.add(server);
        return server;
    }

    private LockManager manager(RedisServer server, LockSettings settings) {
        LockManager manager = RedisLockManager.builder().address(server.address()).settings(settings).build();
        // Managers close before the servers: resources close in reverse order.
        resources.add(manager);
        return manager;
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(TIMEOUT).withLease(LEASE);
    }

    private static String key(String hint) {
        return "fault:" + hint + ":" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        Exception failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        resources.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    @DisplayName("SIGSTOP longer than the lease: the holder reports the loss, the key frees, the next token is larger")
    void stalledServerLosesLockAndFencesOldHolder() {
        RedisServer server = server();
        LockManager holder = manager(server, settings());
        LockManager other = manager(server, settings());
        String key = key("sigstop");
        LockHandle old = holder.tryLock(key).orElseThrow();
        server.pause();
        LockLoss loss;
        try {
            loss = Awaitility.await("loss of " + key + " reported while the server is stopped").atMost(SOON)
                    .until(() -> old.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(old.isHeld()).isFalse();
            // Stopped for longer than the lease, so the key has expired by the server's clock when it resumes.
            Awaitility.await().pollDelay(LEASE).atMost(SOON).until(() -> true);
        } finally {
            server.resume();
        }
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
        LockHandle next = Awaitility.await(key + " free for another manager after SIGCONT").atMost(SOON)
                .ignoreException(LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        try (next) {
            assertThat(next.fencingToken()).as("token after the loss").isGreaterThan(old.fencingToken());
            // The old holder's close must not release the new holder's lock.
            old.close();
            assertThat(holder.tryLock(key)).as("the new holder still has " + key).isEmpty();
        }
    }

    @Test
    @DisplayName("kill -9 and restart without persistence: tokens still increase, a held lock is reported lost")
    void restartWithoutDataKeepsTokensIncreasing() {
        RedisServer server = server();
        LockManager manager = manager(server, settings());
        String key = key("restart");
        String heldKey = key("restart-held");
        long before;
        try (LockHandle first = manager.tryLock(key).orElseThrow()) {
            before = first.fencingToken();
        }
        LockHandle held = manager.tryLock(heldKey).orElseThrow();
        server.restart();
        assertThat(server.cli("DBSIZE")).as("the restarted server is empty").isEqualTo("0");
        LockHandle after = Awaitility.await("locking works again after the restart").atMost(SOON)
                .ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
        try (after) {
            assertThat(after.fencingToken()).as("token after a restart that lost the counter")
                    .isGreaterThan(before);
        }
        LockLoss loss = Awaitility.await("loss of " + heldKey + " reported after the restart").atMost(SOON)
                .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
        assertThat(loss.reason()).isIn(LockLoss.Reason.NOT_OWNER, LockLoss.Reason.BACKEND_UNREACHABLE);
        held.close();
    }

    @Test
    @DisplayName("server gone: tryLock and a wait throw LockBackendException within the operation timeout")
    void serverGoneThrowsInTime() {
        RedisServer server = server();
        LockManager manager = manager(server, settings());
        String key = key("gone");
        manager.tryLock(key).orElseThrow().close();
        server.kill();
        Duration bound = TIMEOUT.plusSeconds(1);
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
            start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key, Duration.ofSeconds(5)))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
        }
    }

    @Test
    @DisplayName("SIGSTOP: tryLock throws LockBackendException within the operation timeout, then works on SIGCONT")
    void stalledServerThrowsInTime() {
        RedisServer server = server();
        LockManager manager = manager(server, settings());
        String key = key("stalled");
        manager.tryLock(key).orElseThrow().close();
        server.pause();
        try {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(1));
        } finally {
            server.resume();
        }
        // The attempt that timed out may have run when the server resumed; it must not leave the key locked.
        LockHandle again = Awaitility.await(key + " lockable after SIGCONT").atMost(SOON)
                .ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
        again.close();
    }

    @Test
    @DisplayName("no server at build time: build() throws LockBackendException naming the address")
    void noServerAtBuild() {
        int port = RedisServer.freePort();
        assertThatThrownBy(() -> RedisLockManager.builder().address("127.0.0.1:" + port).settings(settings()).build())
                .isInstanceOf(LockBackendException.class).hasMessageContaining("127.0.0.1:" + port);
    }
}
