package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the Redis record store promises beyond the idempotency kit, observed on a private server: one command per
 * operation (INFO commandstats), byte-exact values, the ttl as the server's PX, keys of any shape, prefixes,
 * size limits, client ownership, and outages (SIGSTOP, killed server) as {@link LockBackendException} within the
 * operation timeout.
 */
@DisplayName("redis: record store for idempotency")
class RedisRecordStoreTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Short, so the outage test (eight calls that time out) stays quick. */
    private static final Duration OUTAGE_TIMEOUT = Duration.ofMillis(500);

    private static RedisServer server;
    private static RecordStore store;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
        store = RedisRecordStore.builder().address(server.address()).operationTimeout(TIMEOUT).build();
    }

    @AfterAll
    static void stop() {
        if (store != null) {
            store.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static String key(String hint) {
        return "records:" + hint + ":" + UUID.randomUUID();
    }

    /** The Redis key of a record, as the README documents it (not through the production code). */
    private static String redisKey(String key) {
        return RedisKeyLayout.recordKey(key);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Calls so far of each command a record operation may use, from INFO commandstats. */
    private static Map<String, Long> commandCalls() {
        Map<String, Long> calls = new TreeMap<>();
        for (String line : server.cli("INFO", "commandstats").split("\n")) {
            for (String command : List.of("set", "get", "del", "evalsha", "eval", "script|load")) {
                if (line.startsWith("cmdstat_" + command + ":")) {
                    calls.put(command, Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(','))));
                }
            }
        }
        return calls;
    }

    /** What {@code operation} made the server run; commands called inside a script are counted by Redis too. */
    private static Map<String, Long> commandsOf(Runnable operation) {
        Map<String, Long> before = commandCalls();
        operation.run();
        Map<String, Long> delta = new TreeMap<>();
        commandCalls().forEach((command, calls) -> {
            long d = calls - before.getOrDefault(command, 0L);
            if (d != 0) {
                delta.put(command, d);
            }
        });
        return delta;
    }

    @Test
    @DisplayName("each operation is one command: SET NX PX, GET, and one script (EVALSHA) for replace and remove")
    void oneRoundTripPerOperation() {
        String key = key("calls");
        // Load both scripts once: the first EVALSHA of a script on a server is answered NOSCRIPT and resent.
        store.replace(key("warm"), bytes("x"), bytes("y"), Duration.ofSeconds(5));
        store.remove(key("warm"), bytes("x"));
        assertThat(commandsOf(() -> assertThat(store.putIfAbsent(key, bytes("v1"), Duration.ofMinutes(1))).isTrue()))
                .isEqualTo(Map.of("set", 1L));
        assertThat(commandsOf(() -> assertThat(store.putIfAbsent(key, bytes("v"), Duration.ofMinutes(1))).isFalse()))
                .isEqualTo(Map.of("set", 1L));
        assertThat(commandsOf(() -> assertThat(store.get(key)).isPresent())).isEqualTo(Map.of("get", 1L));
        // One EVALSHA; its GET and SET run inside the script, on the server.
        assertThat(commandsOf(() -> assertThat(store.replace(key, bytes("v1"), bytes("v2"), Duration.ofMinutes(1)))
                .isTrue())).isEqualTo(Map.of("evalsha", 1L, "get", 1L, "set", 1L));
        assertThat(commandsOf(() -> assertThat(store.replace(key, bytes("v1"), bytes("v3"), Duration.ofMinutes(1)))
                .isFalse())).isEqualTo(Map.of("evalsha", 1L, "get", 1L));
        assertThat(commandsOf(() -> assertThat(store.remove(key, bytes("v1"))).isFalse()))
                .isEqualTo(Map.of("evalsha", 1L, "get", 1L));
        assertThat(commandsOf(() -> assertThat(store.remove(key, bytes("v2"))).isTrue()))
                .isEqualTo(Map.of("evalsha", 1L, "get", 1L, "del", 1L));
        assertThat(commandsOf(() -> assertThat(store.get(key)).isEmpty())).isEqualTo(Map.of("get", 1L));
    }

    @Test
    @DisplayName("values are bytes: every byte value, empty values, and comparisons byte for byte")
    void valuesAreBytes() {
        String key = key("bytes");
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertThat(store.putIfAbsent(key, all, Duration.ofMinutes(1))).isTrue();
        assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(all));
        byte[] almost = all.clone();
        almost[255] = 0;
        assertThat(store.replace(key, almost, new byte[0], Duration.ofMinutes(1))).isFalse();
        assertThat(store.remove(key, Arrays.copyOf(all, 255))).isFalse();
        assertThat(store.replace(key, all, new byte[0], Duration.ofMinutes(1))).isTrue();
        assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEmpty());
        assertThat(store.putIfAbsent(key, all, Duration.ofMinutes(1))).as("an empty value is a live entry").isFalse();
        assertThat(store.remove(key, new byte[0])).isTrue();
        assertThat(store.get(key)).isEmpty();
    }

    @Test
    @DisplayName("the ttl is the server's PX, rounded up to whole milliseconds; replace sets the new ttl")
    void ttlIsServerExpiry() {
        String key = key("ttl");
        String redisKey = redisKey(key);
        assertThat(store.putIfAbsent(key, bytes("a"), Duration.ofSeconds(100))).isTrue();
        assertThat(Long.parseLong(server.cli("PTTL", redisKey).trim())).isBetween(90_000L, 100_000L);
        assertThat(store.replace(key, bytes("a"), bytes("b"), Duration.ofSeconds(1000))).isTrue();
        assertThat(Long.parseLong(server.cli("PTTL", redisKey).trim())).isBetween(990_000L, 1_000_000L);
        String tiny = key("tiny-ttl");
        // 1 ns becomes PX 1 (PX 0 would be a Redis error); the entry is then gone at once, as absent.
        assertThat(store.putIfAbsent(tiny, bytes("a"), Duration.ofNanos(1))).isTrue();
        assertThatThrownBy(() -> store.putIfAbsent(key, bytes("a"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> store.replace(key, bytes("b"), bytes("c"), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
    }

    @Test
    @DisplayName("keys of any shape are distinct records under distlock:{...}:record; prefixes separate stores")
    void keysAndPrefixes() {
        String base = key("shape");
        List<String> keys = List.of(base + "{", base + "}{", base + "{}", base + "\u0000", base + "\uD83D\uDE00",
                base + "a{b}c", "k".repeat(1400));
        for (String k : keys) {
            assertThat(store.putIfAbsent(k, bytes(k), Duration.ofMinutes(1))).as(k).isTrue();
        }
        for (String k : keys) {
            assertThat(store.get(k)).as(k).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes(k)));
            assertThat(server.cli("EXISTS", redisKey(k)).trim()).isEqualTo("1");
        }
        try (RecordStore app1 = RedisRecordStore.builder().address(server.address()).keyPrefix("app1:").build();
             RecordStore app2 = RedisRecordStore.builder().address(server.address()).keyPrefix("app2:").build()) {
            String key = key("prefix");
            assertThat(app1.putIfAbsent(key, bytes("1"), Duration.ofMinutes(1))).isTrue();
            assertThat(app2.putIfAbsent(key, bytes("2"), Duration.ofMinutes(1))).isTrue();
            assertThat(store.get(key)).isEmpty();
            assertThat(app2.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("2")));
        }
    }

    @Test
    @DisplayName("values over maxValueBytes are refused before sending; the limit is configurable within bounds")
    void sizeLimits() {
        assertThat(store.maxValueBytes()).isEqualTo(RedisRecordStore.DEFAULT_MAX_VALUE_BYTES);
        try (RecordStore small = RedisRecordStore.builder().address(server.address()).maxValueBytes(8).build()) {
            String key = key("size");
            assertThat(small.maxValueBytes()).isEqualTo(8);
            assertThat(small.putIfAbsent(key, new byte[8], Duration.ofMinutes(1))).isTrue();
            assertThatThrownBy(() -> small.putIfAbsent(key("size"), new byte[9], Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9 bytes");
            assertThatThrownBy(() -> small.replace(key, new byte[8], new byte[9], Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("9 bytes");
            assertThat(small.replace(key, new byte[9], new byte[1], Duration.ofMinutes(1))).isFalse();
            assertThat(small.remove(key, new byte[9])).isFalse();
        }
        assertThatThrownBy(() -> RedisRecordStore.builder().maxValueBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxValueBytes");
        assertThatThrownBy(() -> RedisRecordStore.builder().maxValueBytes(RedisRecordStore.MAX_VALUE_BYTES_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxValueBytes");
        String big = key("big");
        byte[] value = new byte[RedisRecordStore.DEFAULT_MAX_VALUE_BYTES];
        value[value.length - 1] = 7;
        assertThat(store.putIfAbsent(big, value, Duration.ofMinutes(1))).isTrue();
        assertThat(store.get(big)).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    @DisplayName("a caller's client stays open after close; an own client closes; a closed store refuses calls")
    void clientOwnership() {
        Config config = new Config();
        config.useSingleServer().setAddress("redis://" + server.address());
        RedissonClient redisson = Redisson.create(config);
        try {
            RecordStore borrowed = RedisRecordStore.builder().client(redisson).build();
            String key = key("owner");
            assertThat(borrowed.putIfAbsent(key, bytes("x"), Duration.ofMinutes(1))).isTrue();
            borrowed.close();
            borrowed.close();
            assertThat(redisson.isShutdown()).isFalse();
            assertThatThrownBy(() -> borrowed.get(key)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(() -> RedisRecordStore.builder().client(redisson).address(server.address()).build())
                    .isInstanceOf(IllegalStateException.class);
        } finally {
            redisson.shutdown();
        }
        assertThatThrownBy(() -> RedisRecordStore.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> RedisRecordStore.builder().address("127.0.0.1:").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty port");
    }

    @Test
    @DisplayName("outage: a stalled server (SIGSTOP) and a dead one give LockBackendException within the timeout")
    void outage() {
        try (RedisServer own = RedisServer.start();
             RecordStore records = RedisRecordStore.builder().address(own.address())
                     .operationTimeout(OUTAGE_TIMEOUT).build()) {
            String key = key("outage");
            assertThat(records.putIfAbsent(key, bytes("a"), Duration.ofMinutes(1))).isTrue();
            List<Consumer<RecordStore>> operations = List.of(
                    s -> s.putIfAbsent(key("outage"), bytes("b"), Duration.ofMinutes(1)),
                    s -> s.get(key),
                    s -> s.replace(key, bytes("a"), bytes("b"), Duration.ofMinutes(1)),
                    s -> s.remove(key, bytes("a")));
            own.pause();
            try {
                for (Consumer<RecordStore> operation : operations) {
                    assertFailsWithinTimeout(() -> operation.accept(records));
                }
            } finally {
                own.resume();
            }
            // The writes that timed out may still run once the server resumes (their outcome is unknown, as the
            // messages say), so only check that the store works again.
            String after = key("after-outage");
            assertThat(records.putIfAbsent(after, bytes("c"), Duration.ofMinutes(1))).isTrue();
            assertThat(records.get(after)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("c")));
            own.kill();
            for (Consumer<RecordStore> operation : operations) {
                assertFailsWithinTimeout(() -> operation.accept(records));
            }
        }
    }

    private static void assertFailsWithinTimeout(Runnable call) {
        long start = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOf(LockBackendException.class).hasMessageContaining("record");
        // The one timing check the house rules allow: an outage fails within the operation timeout plus a margin.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(OUTAGE_TIMEOUT.plusSeconds(2));
    }
}
