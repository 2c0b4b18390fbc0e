package io.distlock.etcd;

import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.RecordStores;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.spi.RecordStore;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.options.GetOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code RecordStores.create(URI)} on a private etcd process: the URI's endpoint and namespace reach the store as
 * they reach {@code LockManagers.create} of the same URI, and records sit under {@code /<namespace>/records}.
 */
@DisplayName("etcd: record store from a URI")
class EtcdRecordStoreUriTest {

    private static final EtcdTckBackend BACKEND = new EtcdTckBackend();

    @BeforeAll
    static void startServer() {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() {
        BACKEND.stop();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static long keysUnder(String prefix) throws Exception {
        ByteSequence key = ByteSequence.from(prefix, StandardCharsets.UTF_8);
        return BACKEND.client().getKVClient().get(key, GetOption.builder().isPrefix(true).withCountOnly(true)
                .build()).get(10, TimeUnit.SECONDS).getCount();
    }

    @Test
    @DisplayName("the URI's path is the namespace of the records; one URI gives locks and idempotency keys")
    void namespaceAndIdempotency() throws Exception {
        String namespace = "uri-" + UUID.randomUUID();
        URI uri = URI.create("etcd://" + BACKEND.server().endpoint() + "/" + namespace + "?timeout=3s");
        AtomicInteger runs = new AtomicInteger();
        try (LockManager locks = LockManagers.create(uri); RecordStore records = RecordStores.create(uri)) {
            assertThat(records.putIfAbsent("k", bytes("v"), Duration.ofMinutes(1))).isTrue();
            assertThat(records.get("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v")));
            assertThat(keysUnder("/" + namespace + "/records/")).isEqualTo(1);

            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(records).build();
            String key = "order:" + UUID.randomUUID();
            for (int i = 0; i < 2; i++) {
                assertThat(keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                        lock -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
            }
            assertThat(runs).hasValue(1);
            assertThat(keysUnder("/" + namespace + "/records/")).isEqualTo(2);
        }
    }

    @Test
    @DisplayName("the store owns its client: after close() it refuses calls")
    void closesItsClient() {
        RecordStore store = RecordStores.create(URI.create("etcd://" + BACKEND.server().endpoint()));
        store.close();
        assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("bad URIs fail before any client: no host, TLS files without etcds, cert without key, user alone")
    void badUris() {
        assertThatThrownBy(() -> RecordStores.create(URI.create("etcd:///ns")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> RecordStores.create(URI.create("etcd://127.0.0.1:1?ca=/tmp/ca.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("etcds://");
        assertThatThrownBy(() -> RecordStores.create(URI.create("etcds://127.0.0.1:1?cert=/tmp/c.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("go together");
        assertThatThrownBy(() -> RecordStores.create(URI.create("etcd://user@127.0.0.1:1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user:password");
        assertThatThrownBy(() -> RecordStores.create(URI.create("etcd://127.0.0.1:1?namespace=x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
    }
}
