package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.core.EntryView;
import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockBackendException;
import io.distlock.idempotency.spi.RecordStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Hazelcast record store beyond the idempotency kit, through each way it reaches the map: on a member, through a
 * client (Hazelcast's own get and putIfAbsent), and through a near-cached client map (the public-API fallback).
 */
@DisplayName("hazelcast record store")
class HazelcastRecordStoreTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    private static final String MAP = "records.test";

    private static TestCluster cluster;
    private static HazelcastInstance nearCachedClient;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start("records", 1);
        ClientConfig config = new ClientConfig().setClusterName(cluster.clusterName());
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.getNetworkConfig().addAddress(cluster.addresses());
        // A near cache turns the client's map proxy into another class: the store then uses the public API.
        config.addNearCacheConfig(new NearCacheConfig(MAP));
        nearCachedClient = HazelcastClient.newHazelcastClient(config);
    }

    @AfterAll
    static void stop() {
        if (nearCachedClient != null) {
            nearCachedClient.getLifecycleService().terminate();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The stores by path; each test closes what it opened. */
    private static RecordStore store(String path) {
        HazelcastRecordStore.Builder builder = HazelcastRecordStore.builder().mapName(MAP).operationTimeout(TIMEOUT);
        return switch (path) {
            case "member" -> builder.instance(cluster.member(0)).build();
            case "client" -> builder.addresses(cluster.addresses()).clusterName(cluster.clusterName())
                    .connectTimeout(TestCluster.CONNECT_TIMEOUT).build();
            case "near-cached client" -> builder.instance(nearCachedClient).build();
            default -> throw new IllegalArgumentException(path);
        };
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String key(String hint) {
        return "record:" + hint + ":" + UUID.randomUUID();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"member", "client", "near-cached client"})
    @DisplayName("conditional writes compare bytes, not array identity; remove and replace need the expected bytes")
    void conditionalWritesCompareBytes(String path) {
        try (RecordStore store = store(path)) {
            String key = key("bytes");
            assertThat(store.get(key)).isEmpty();
            assertThat(store.putIfAbsent(key, bytes("v1"), Duration.ofMinutes(1))).isTrue();
            assertThat(store.putIfAbsent(key, bytes("other"), Duration.ofMinutes(1))).isFalse();
            assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v1")));
            assertThat(store.replace(key, bytes("v0"), bytes("v2"), Duration.ofMinutes(1))).isFalse();
            assertThat(store.replace(key, bytes("v1"), bytes("v2"), Duration.ofMinutes(1))).isTrue();
            assertThat(store.remove(key, bytes("v1"))).isFalse();
            assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v2")));
            assertThat(store.remove(key, bytes("v2"))).isTrue();
            assertThat(store.get(key)).isEmpty();
            assertThat(store.replace(key, bytes("v2"), bytes("v3"), Duration.ofMinutes(1))).isFalse();
            assertThat(store.putIfAbsent(key, new byte[0], Duration.ofMinutes(1))).isTrue();
            assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEmpty());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"member", "client", "near-cached client"})
    @DisplayName("replace writes the new ttl with the value (IMap.replace would make the record live forever)")
    void replaceSetsTheNewTtl(String path) {
        try (RecordStore store = store(path)) {
            String key = key("ttl");
            assertThat(store.putIfAbsent(key, bytes("issued"), Duration.ofDays(1))).isTrue();
            Duration shortTtl = Duration.ofMillis(400);
            assertThat(store.replace(key, bytes("issued"), bytes("consumed"), shortTtl)).isTrue();
            EntryView<String, byte[]> view = cluster.member(0).<String, byte[]>getMap(MAP).getEntryView(key);
            // Hazelcast's ttl only cleans up (whole seconds, plus slack); the record itself expires after 400 ms.
            assertThat(view.getTtl()).as("Hazelcast's ttl of %s after replace", key)
                    .isLessThan(Duration.ofSeconds(5).toMillis());
            Awaitility.await("the replaced record of " + key + " expires").atMost(Duration.ofSeconds(5))
                    .until(() -> store.get(key).isEmpty());
            // Expired is absent for every operation, also while Hazelcast still holds the entry.
            assertThat(store.replace(key, bytes("consumed"), bytes("x"), Duration.ofMinutes(1))).isFalse();
            assertThat(store.remove(key, bytes("consumed"))).isFalse();
            assertThat(store.putIfAbsent(key, bytes("again"), Duration.ofMinutes(1))).isTrue();
            assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("again")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"member", "client"})
    @DisplayName("while no member answers, every operation throws LockBackendException within the timeout")
    void outageThrowsWithinTimeout(String path) {
        try (RecordStore store = store(path)) {
            String key = key("outage");
            assertThat(store.putIfAbsent(key, bytes("v"), Duration.ofMinutes(1))).isTrue();
            List<Function<RecordStore, Object>> operations = List.of(
                    s -> s.get(key),
                    s -> s.putIfAbsent(key, bytes("w"), Duration.ofMinutes(1)),
                    s -> s.replace(key, bytes("v"), bytes("w"), Duration.ofMinutes(1)),
                    s -> s.remove(key, bytes("v")));
            cluster.blockPartitions();
            try {
                for (Function<RecordStore, Object> operation : operations) {
                    long start = System.nanoTime();
                    assertThatThrownBy(() -> operation.apply(store)).isInstanceOf(LockBackendException.class)
                            .hasMessageContaining(key);
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(2));
                }
            } finally {
                cluster.unblockPartitions();
            }
            // The queued writes ran once the members answered again; the store works on.
            Awaitility.await("the store answers again").atMost(Duration.ofSeconds(10))
                    .ignoreException(LockBackendException.class).until(() -> store.get(key), v -> true);
        }
    }

    @Test
    @DisplayName("a store with its own client shuts it down on close; a caller's instance is left running")
    void ownership() {
        int clientsBefore = HazelcastClient.getAllHazelcastClients().size();
        RecordStore owned = store("client");
        assertThat(HazelcastClient.getAllHazelcastClients()).hasSize(clientsBefore + 1);
        assertThat(owned.name()).contains(MAP).contains(cluster.clusterName());
        owned.close();
        owned.close();
        assertThat(HazelcastClient.getAllHazelcastClients()).hasSize(clientsBefore);
        assertThatThrownBy(() -> owned.get("k")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        store("near-cached client").close();
        assertThat(nearCachedClient.getLifecycleService().isRunning()).isTrue();
        store("member").close();
        assertThat(cluster.member(0).getLifecycleService().isRunning()).isTrue();
    }

    @Test
    @DisplayName("size limit, bad arguments and builder misuse fail before any call, naming what is wrong")
    void limitsAndMisuse() {
        try (RecordStore store = HazelcastRecordStore.builder().instance(cluster.member(0)).mapName(MAP)
                .maxValueBytes(16).build()) {
            assertThat(store.maxValueBytes()).isEqualTo(16);
            String key = key("limit");
            assertThat(store.putIfAbsent(key, new byte[16], Duration.ofMinutes(1))).isTrue();
            assertThatThrownBy(() -> store.putIfAbsent(key("big"), new byte[17], Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("17");
            assertThatThrownBy(() -> store.replace(key, new byte[16], new byte[17], Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16");
            assertThatThrownBy(() -> store.get(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("key");
            assertThatThrownBy(() -> store.get(" ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            assertThatThrownBy(() -> store.putIfAbsent(key, null, Duration.ofMinutes(1)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("value");
            assertThatThrownBy(() -> store.putIfAbsent(key, new byte[1], Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
            assertThatThrownBy(() -> store.remove(key, null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("expected");
        }
        try (RecordStore defaults = HazelcastRecordStore.builder().instance(cluster.member(0)).build()) {
            assertThat(defaults.maxValueBytes()).isEqualTo(HazelcastRecordStore.DEFAULT_MAX_VALUE_BYTES);
        }
        assertThatThrownBy(() -> HazelcastRecordStore.builder().maxValueBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxValueBytes");
        assertThatThrownBy(() -> HazelcastRecordStore.builder()
                .maxValueBytes(HazelcastRecordStore.MAX_VALUE_BYTES_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HazelcastRecordStore.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> HazelcastRecordStore.builder().instance(cluster.member(0))
                .addresses("127.0.0.1:5701").build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> HazelcastRecordStore.builder().operationTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("operationTimeout");
        assertThatThrownBy(() -> HazelcastRecordStore.builder().mapName(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("map name");
    }
}
