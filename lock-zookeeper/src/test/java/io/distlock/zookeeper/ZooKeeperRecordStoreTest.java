package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the idempotency TCK cannot see of {@link ZooKeeperRecordStore}: expiry judged on the ensemble's clock (with a
 * hand-driven ticker, so without sleeping), atomic replacement of an expired record, the node layout, size limits,
 * the sweep, misuse, ownership and outages.
 */
class ZooKeeperRecordStoreTest {

    private static final LockSettings SETTINGS = LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1));
    private static TestingServer server;
    private static CuratorFramework inspector;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        inspector = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ZooKeeperRecordStore.Builder store(String namespace) {
        return ZooKeeperRecordStore.builder().connectString(server.getConnectString()).namespace(namespace)
                .settings(SETTINGS).sweepInterval(Duration.ZERO);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Paths of every record node under {@code namespace}. */
    private static List<String> recordNodes(String namespace) throws Exception {
        List<String> nodes = new ArrayList<>();
        String records = "/" + namespace + "/records";
        if (inspector.checkExists().forPath(records) == null) {
            return nodes;
        }
        for (String bucket : inspector.getChildren().forPath(records)) {
            try {
                for (String child : inspector.getChildren().forPath(records + "/" + bucket)) {
                    nodes.add(records + "/" + bucket + "/" + child);
                }
            } catch (KeeperException.NoNodeException e) {
                // An empty bucket reaped since the listing: no records in it.
            }
        }
        return nodes;
    }

    @Test
    void recordIsOnePersistentNodePerKeyInABucket() throws Exception {
        String ns = "layout-" + UUID.randomUUID();
        try (RecordStore store = store(ns).build()) {
            assertThat(store.putIfAbsent("order/42 é", bytes("v"), Duration.ofMinutes(1))).isTrue();
            List<String> nodes = recordNodes(ns);
            assertThat(nodes).hasSize(1);
            assertThat(nodes.get(0)).matches("/" + ns + "/records/[0-9a-f]{2}/" + ZnodeNames.encode("order/42 é"));
            Stat stat = inspector.checkExists().forPath(nodes.get(0));
            assertThat(stat.getEphemeralOwner()).as("a record outlives sessions").isZero();
            // Parents are containers, removed by the server once empty.
            assertThat(store.remove("order/42 é", bytes("v"))).isTrue();
            await("empty record parents are reaped").atMost(Duration.ofSeconds(10))
                    .until(() -> inspector.checkExists().forPath("/" + ns) == null);
        }
    }

    @Test
    void expiryIsJudgedOnTheEnsemblesClockPlusTheTickersElapsedTime() throws Exception {
        String ns = "clock-" + UUID.randomUUID();
        AtomicLong nanos = new AtomicLong(System.nanoTime());
        try (RecordStore writer = store(ns).build();
             RecordStore reader = store(ns).settings(SETTINGS.withTicker(nanos::get)).build()) {
            assertThat(writer.putIfAbsent("k", bytes("v"), Duration.ofSeconds(30))).isTrue();
            // The reader learns the ensemble's time from one write of its own, then counts on its ticker.
            assertThat(reader.get("k")).as("fresh record").isPresent();
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(20));
            assertThat(reader.get("k")).as("20 s after the write, ttl 30 s").isPresent();
            assertThat(reader.replace("k", bytes("other"), bytes("x"), Duration.ofSeconds(30))).isFalse();
            nanos.addAndGet(TimeUnit.SECONDS.toNanos(20));
            // 40 s after the write on the ensemble's clock: expired, although no real time has passed.
            assertThat(reader.get("k")).as("40 s after the write, ttl 30 s").isEmpty();
            assertThat(reader.replace("k", bytes("v"), bytes("x"), Duration.ofSeconds(30))).isFalse();
            assertThat(reader.remove("k", bytes("v"))).isFalse();
            // Touching the expired record deleted it, so the writer (whose clock says it is fresh) sees it gone.
            await("the expired node is deleted when touched").atMost(Duration.ofSeconds(5))
                    .until(() -> recordNodes(ns).isEmpty());
            assertThat(writer.get("k")).isEmpty();
            assertThat(writer.putIfAbsent("k", bytes("v2"), Duration.ofSeconds(30))).isTrue();
        }
    }

    @Test
    void aClientClockThatRunsAheadIsCorrectedByTheEnsemble() {
        String ns = "resync-" + UUID.randomUUID();
        AtomicLong nanos = new AtomicLong(System.nanoTime());
        try (RecordStore writer = store(ns).build();
             RecordStore reader = store(ns).settings(SETTINGS.withTicker(nanos::get)).build()) {
            assertThat(writer.putIfAbsent("k", bytes("v"), Duration.ofHours(1))).isTrue();
            assertThat(reader.get("k")).isPresent();
            // Two hours pass on the reader's ticker only. Its anchor is older than the resync interval, so it asks
            // the ensemble for the time again (one write), and the ensemble says the record is minutes old at most.
            nanos.addAndGet(TimeUnit.HOURS.toNanos(2));
            assertThat(reader.get("k")).as("a record whose ttl has not run out on the ensemble's clock").isPresent();
        }
    }

    @Test
    void anExpiredRecordIsReplacedByExactlyOneOfManyConcurrentWriters() throws Exception {
        String ns = "replace-" + UUID.randomUUID();
        Duration ttl = Duration.ofMillis(300);
        List<RecordStore> stores = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < 2; i++) {
                stores.add(store(ns).build());
            }
            assertThat(stores.get(0).putIfAbsent("k", bytes("old"), ttl)).isTrue();
            String node = recordNodes(ns).get(0);
            long expiresAt = inspector.checkExists().forPath(node).getMtime() + ttl.toMillis();
            // Wait on the ensemble's clock (a scratch write's mtime), without touching the record: that would delete
            // it.
            await("the record expires on the ensemble's clock").atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> inspector.setData().forPath("/" + ns).getMtime() > expiresAt);
            assertThat(inspector.checkExists().forPath(node)).as("the expired node is still there").isNotNull();
            CyclicBarrier start = new CyclicBarrier(8);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                RecordStore store = stores.get(i % 2);
                byte[] value = bytes("new-" + i);
                results.add(pool.submit(() -> {
                    start.await(5, TimeUnit.SECONDS);
                    return store.putIfAbsent("k", value, Duration.ofMinutes(1));
                }));
            }
            int winners = 0;
            for (Future<Boolean> result : results) {
                winners += result.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(winners).as("writers that replaced one expired record").isEqualTo(1);
            assertThat(new String(stores.get(1).get("k").orElseThrow(), StandardCharsets.UTF_8)).startsWith("new-");
        } finally {
            pool.shutdownNow();
            stores.forEach(RecordStore::close);
        }
    }

    @Test
    void valuesUpToTheLimitAreStoredWithTheLongestKeyAndLargerOnesAreRefused() {
        String ns = "size-" + UUID.randomUUID();
        try (RecordStore store = store(ns).build()) {
            assertThat(store.maxValueBytes()).isEqualTo(ZooKeeperRecordStore.MAX_VALUE_BYTES).isEqualTo(900 * 1024);
            // 1400 UTF-8 bytes that all need escaping: the longest node name (4201 characters).
            String longestKey = "é".repeat(700);
            byte[] largest = new byte[store.maxValueBytes()];
            Arrays.fill(largest, (byte) 7);
            assertThat(store.putIfAbsent(longestKey, largest, Duration.ofMinutes(1))).isTrue();
            assertThat(store.get(longestKey)).hasValueSatisfying(v -> assertThat(v).isEqualTo(largest));
            byte[] smaller = new byte[10];
            assertThat(store.replace(longestKey, largest, smaller, Duration.ofMinutes(1))).isTrue();
            assertThat(store.replace(longestKey, smaller, largest, Duration.ofMinutes(1))).isTrue();
            assertThat(store.remove(longestKey, largest)).isTrue();

            byte[] tooLarge = new byte[store.maxValueBytes() + 1];
            assertThatThrownBy(() -> store.putIfAbsent("k", tooLarge, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(String.valueOf(900 * 1024))
                    .hasMessageContaining("'k'");
            assertThatThrownBy(() -> store.replace("k", smaller, tooLarge, Duration.ofMinutes(1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void misuseIsRefusedBeforeAnyRequest() {
        try (RecordStore store = store("misuse-" + UUID.randomUUID()).build()) {
            byte[] v = bytes("v");
            Duration ttl = Duration.ofMinutes(1);
            assertThatThrownBy(() -> store.get(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("key");
            assertThatThrownBy(() -> store.get(" ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            assertThatThrownBy(() -> store.get("k".repeat(1401))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1400");
            assertThatThrownBy(() -> store.putIfAbsent("k", null, ttl)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("value");
            assertThatThrownBy(() -> store.putIfAbsent("k", v, Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
            assertThatThrownBy(() -> store.replace("k", null, v, ttl)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("expected");
            store.close();
            store.close();
            assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
        assertThatThrownBy(() -> ZooKeeperRecordStore.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exactly one");
        assertThatThrownBy(() -> ZooKeeperRecordStore.builder().client(inspector)
                .sessionTimeout(Duration.ofSeconds(5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionTimeout");
        assertThatThrownBy(() -> ZooKeeperRecordStore.builder().sweepInterval(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sweepInterval");
    }

    @Test
    void aCallersClientIsSharedAndNotClosed() {
        String ns = "shared-" + UUID.randomUUID();
        RecordStore store = ZooKeeperRecordStore.builder().client(inspector).namespace(ns)
                .settings(SETTINGS).build();
        assertThat(store.putIfAbsent("k", bytes("v"), Duration.ofMinutes(1))).isTrue();
        store.close();
        try (RecordStore other = ZooKeeperRecordStore.builder().client(inspector).namespace(ns).build()) {
            assertThat(other.get("k")).as("the caller's client still works after the store closed").isPresent();
        }
    }

    @Test
    void theSweepDeletesExpiredRecordsNobodyTouches() throws Exception {
        String ns = "sweep-" + UUID.randomUUID();
        try (RecordStore writer = store(ns).build()) {
            for (int i = 0; i < 20; i++) {
                writer.putIfAbsent("short-" + i, bytes("v"), Duration.ofMillis(200));
            }
            writer.putIfAbsent("long", bytes("v"), Duration.ofHours(1));
            assertThat(recordNodes(ns)).hasSize(21);
            // A full pass over the 256 buckets every 2.56 s (one bucket every 10 ms, the shortest period).
            try (RecordStore sweeper = store(ns).sweepInterval(Duration.ofMillis(1)).build()) {
                await("the sweep deletes the 20 expired records").atMost(Duration.ofSeconds(20))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> recordNodes(ns).size() == 1);
                assertThat(recordNodes(ns).get(0)).endsWith("/" + ZnodeNames.encode("long"));
                assertThat(sweeper.get("long")).isPresent();
            }
        }
    }

    @Test
    void anOutageThrowsWithinTheOperationTimeoutAndIsNeverAnAnswer() throws Exception {
        try (TestingServer own = ZooKeeperServers.server();
             RecordStore store = ZooKeeperRecordStore.builder().connectString(own.getConnectString())
                     .settings(SETTINGS).sweepInterval(Duration.ZERO).build()) {
            assertThat(store.putIfAbsent("k", bytes("v"), Duration.ofMinutes(1))).isTrue();
            own.stop();
            for (Runnable call : List.<Runnable>of(
                    () -> store.get("k"),
                    () -> store.putIfAbsent("k2", bytes("v"), Duration.ofMinutes(1)),
                    () -> store.replace("k", bytes("v"), bytes("w"), Duration.ofMinutes(1)),
                    () -> store.remove("k", bytes("v")))) {
                long started = System.nanoTime();
                assertThatThrownBy(call::run).isInstanceOf(LockBackendException.class)
                        .hasMessageContaining("record 'k");
                assertThat(Duration.ofNanos(System.nanoTime() - started))
                        .as("bounded by the operation timeout plus a margin")
                        .isLessThan(SETTINGS.operationTimeout().plusSeconds(2));
            }
            own.restart();
            await("the store works again after the outage").atMost(Duration.ofSeconds(15)).ignoreExceptions()
                    .until(() -> store.get("k").isPresent());
        }
    }
}
