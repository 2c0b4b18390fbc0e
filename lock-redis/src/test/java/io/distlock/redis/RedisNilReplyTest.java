package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A proxy between client and server that answers the lock scripts with nil: Redis itself never does, so nil must be
 * reported as a failure ({@link LockBackendException}), never read as "held by someone else" or "not released".
 */
@DisplayName("redis: a nil reply is a failure, never \"held\"")
class RedisNilReplyTest {

    private static RedisServer server;
    private static NilReplyProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        server = RedisServer.start();
        proxy = new NilReplyProxy(server.port(), Set.of("EVALSHA", "EVAL"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    @DisplayName("acquire answered with nil: LockBackendException saying so, not an empty Optional")
    void nilAcquire() {
        try (LockManager manager = RedisLockManager.builder().address(proxy.address())
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1))).build()) {
            String key = "nil:" + UUID.randomUUID();
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key).hasMessageContaining("nil");
        }
    }

    @Test
    @DisplayName("release and renew answered with nil: LockBackendException, not \"not held\"")
    void nilReleaseAndRenew() {
        RedisConnection connection = new RedisConnection();
        connection.single(proxy.address());
        RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(1));
        try (RedisLockBackend backend = new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(1), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE)) {
            String key = "nil:" + UUID.randomUUID();
            assertThatThrownBy(() -> backend.release(key, "owner")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("nil");
            assertThatThrownBy(() -> backend.renew(key, "owner", Duration.ofSeconds(5)))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining("nil");
        }
    }

    @Test
    @DisplayName("record store scripts answered with nil: LockBackendException, not \"no match\"")
    void nilRecordWrites() {
        // Not SET ... NX: nil is its real reply for "already there".
        try (NilReplyProxy setProxy = new NilReplyProxy(server.port(), Set.of("EVALSHA", "EVAL"));
             var store = RedisRecordStore.builder().address(setProxy.address())
                     .operationTimeout(Duration.ofSeconds(1)).build()) {
            String key = "nil:" + UUID.randomUUID();
            byte[] value = {1, 2, 3};
            assertThat(store.putIfAbsent(key, value, Duration.ofSeconds(5))).isTrue();
            assertThatThrownBy(() -> store.replace(key, value, value, Duration.ofSeconds(5)))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining("nil");
            assertThatThrownBy(() -> store.remove(key, value))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining("nil");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("the same manager through the real server: works (the proxy alone causes the failures)")
    void directWorks() {
        try (LockManager manager = RedisLockManager.builder().address(server.address())
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1))).build();
             LockHandle held = manager.tryLock("nil:" + UUID.randomUUID()).orElseThrow()) {
            assertThat(held.isHeld()).isTrue();
        }
    }
}
