package io.distlock.hazelcast;

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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code RecordStores.create(URI)} against a private one-member cluster on loopback: the URI's addresses, cluster
 * name and map reach the store as they reach {@code LockManagers.create} of the same URI.
 */
@DisplayName("hazelcast: record store from a URI")
class HazelcastRecordStoreUriTest {

    private static TestCluster cluster;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start("records-uri", 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static URI uri(String query) {
        return URI.create("hazelcast://" + String.join(",", cluster.addresses()) + "?cluster="
                + cluster.clusterName() + "&timeout=2s" + query);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("records go to distlock.records, or to MAP.records when the URI names the lock map MAP")
    void mapFromUri() {
        String key = "k-" + UUID.randomUUID();
        try (RecordStore plain = RecordStores.create(uri(""));
             RecordStore orders = RecordStores.create(uri("&map=orders"))) {
            assertThat(plain.putIfAbsent(key, bytes("plain"), Duration.ofMinutes(1))).isTrue();
            assertThat(orders.putIfAbsent(key, bytes("orders"), Duration.ofMinutes(1))).isTrue();
            assertThat(orders.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("orders")));
        }
        assertThat(cluster.member(0).getMap(HazelcastRecordStore.DEFAULT_MAP_NAME).containsKey(key)).isTrue();
        assertThat(cluster.member(0).getMap("orders.records").containsKey(key)).isTrue();
    }

    @Test
    @DisplayName("one URI gives locks and records: idempotency keys run an operation once and replay it")
    void idempotencyOnOneUri() {
        URI uri = uri("&map=shop");
        AtomicInteger runs = new AtomicInteger();
        try (LockManager locks = LockManagers.create(uri); RecordStore records = RecordStores.create(uri)) {
            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(records).build();
            String key = "order:" + UUID.randomUUID();
            for (int i = 0; i < 2; i++) {
                assertThat(keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                        lock -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
            }
            assertThat(runs).hasValue(1);
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
    @DisplayName("bad URIs fail before any client: no host, a path, unknown parameter, blank map")
    void badUris() {
        assertThatThrownBy(() -> RecordStores.create(URI.create("hazelcast:///x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("member address");
        assertThatThrownBy(() -> RecordStores.create(URI.create("hazelcast://127.0.0.1:1/records")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no path");
        assertThatThrownBy(() -> RecordStores.create(URI.create("hazelcast://127.0.0.1:1?mapp=x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mapp");
        assertThatThrownBy(() -> RecordStores.create(URI.create("hazelcast://127.0.0.1:1?map=")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
    }
}
