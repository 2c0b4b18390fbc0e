package io.distlock.redis;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.RecordStores;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code RecordStores.create(URI)} on a private password-protected server: the URI's host, password, database and
 * prefix reach the store exactly as they reach {@code LockManagers.create} of the same URI.
 */
@DisplayName("redis: record store from a URI")
class RedisRecordStoreUriTest {

    private static final String PASSWORD = "records-" + UUID.randomUUID();

    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.startWithPassword(PASSWORD, "--requirepass", PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static URI uri(String rest) {
        return URI.create("redis://:" + PASSWORD + "@" + server.address() + rest);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("password, database and prefix of the URI are the store's: a builder store with them sees its records")
    void sameDeploymentAsTheBuilder() {
        String key = "uri:" + UUID.randomUUID();
        try (RecordStore fromUri = RecordStores.create(uri("/2?timeout=2s&prefix=app:"));
             RecordStore same = RedisRecordStore.builder().address(server.address()).password(PASSWORD).database(2)
                     .keyPrefix("app:").build();
             RecordStore otherDatabase = RedisRecordStore.builder().address(server.address()).password(PASSWORD)
                     .keyPrefix("app:").build();
             RecordStore otherPrefix = RedisRecordStore.builder().address(server.address()).password(PASSWORD)
                     .database(2).build()) {
            assertThat(fromUri.name()).isEqualTo("redis");
            assertThat(fromUri.putIfAbsent(key, bytes("v1"), Duration.ofMinutes(1))).isTrue();
            assertThat(same.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v1")));
            assertThat(otherDatabase.get(key)).isEmpty();
            assertThat(otherPrefix.get(key)).isEmpty();
            assertThat(same.replace(key, bytes("v1"), bytes("v2"), Duration.ofMinutes(1))).isTrue();
            assertThat(fromUri.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v2")));
        }
    }

    @Test
    @DisplayName("password-only user info (redis://secret@host) is the password for records as for locks")
    void passwordOnlyUserInfoIsThePassword() {
        URI uri = URI.create("redis://" + PASSWORD + "@" + server.address() + "?timeout=2s");
        String key = "uri:" + UUID.randomUUID();
        try (RecordStore fromUri = RecordStores.create(uri);
             LockManager locks = LockManagers.create(uri)) {
            assertThat(fromUri.putIfAbsent(key, bytes("v"), Duration.ofMinutes(1))).isTrue();
            assertThat(fromUri.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v")));
            assertThat(locks.tryLock(key)).isPresent();
        }
    }

    @Test
    @DisplayName("one URI gives locks and records: idempotency keys run an operation once and replay it")
    void idempotencyOnOneUri() {
        URI uri = uri("?timeout=2s");
        AtomicInteger runs = new AtomicInteger();
        try (LockManager locks = LockManagers.create(uri); RecordStore records = RecordStores.create(uri)) {
            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(records).build();
            String key = "order:" + UUID.randomUUID();
            String first = keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                    lock -> "done-" + runs.incrementAndGet());
            String again = keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                    lock -> "done-" + runs.incrementAndGet());
            assertThat(first).isEqualTo("done-1");
            assertThat(again).isEqualTo("done-1");
            assertThat(runs).hasValue(1);
            Optional<LockHandle> handle = locks.tryLock("free:" + UUID.randomUUID());
            assertThat(handle).isPresent();
            handle.get().close();
        }
    }

    @Test
    @DisplayName("the store owns its client: after close() it refuses calls")
    void closesItsClient() {
        RecordStore store = RecordStores.create(uri(""));
        store.close();
        assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("bad URIs fail before any client: unknown parameter, several hosts on redis://, bad database")
    void badUris() {
        assertThatThrownBy(() -> RecordStores.create(uri("?leese=10s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leese")
                .hasMessageNotContaining(PASSWORD);
        assertThatThrownBy(() -> RecordStores.create(URI.create("redis://127.0.0.1:1,127.0.0.1:2")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-cluster://");
        assertThatThrownBy(() -> RecordStores.create(uri("/x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database number")
                .hasMessageNotContaining(PASSWORD);
        assertThatThrownBy(() -> RecordStores.create(uri("?master=m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("redis-sentinel");
    }

    @Test
    @DisplayName("a wrong password fails at create with LockBackendException")
    void wrongPassword() {
        assertThatThrownBy(() -> RecordStores.create(URI.create("redis://:wrong@" + server.address())))
                .isInstanceOf(io.distlock.LockBackendException.class);
    }
}
