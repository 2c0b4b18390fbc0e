package io.distlock.redis;

import io.distlock.LockManagers;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;

/**
 * The whole TCK through {@code redis-cluster://} against a private cluster of three masters, every manager made from
 * a URI: keys of every shape (braces included) must keep a lock's keys in one slot, and release messages published
 * on one node must reach waiters subscribed on another. An outage pauses every node at once (SIGSTOP), so the
 * cluster sees no failed node and needs no failover when it resumes. The idempotency kit runs here too, with
 * {@link RedisRecordStore}s on the same cluster.
 */
@DisplayName("TCK: redis-cluster:// (3 masters)")
class RedisClusterTckTest extends LockManagerTck {

    private static RedisCluster cluster;
    private static TckBackend backend;
    /** The record stores' client: shared, since a cluster client costs a topology discovery to start. */
    private static RedissonClient records;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
        String uri = "redis-cluster://" + String.join(",", cluster.addresses());
        // From URIs, except where the settings carry what a URI cannot (listeners): then the same cluster through
        // the builder.
        backend = new RedisTckBackend("redis-cluster (3 masters)", settings -> settings.listeners().isEmpty()
                ? LockManagers.create(URI.create(uri + RedisTckBackend.query(settings)))
                : RedisLockManager.builder().cluster(cluster.addresses()).settings(settings).build(),
                cluster.faults());
    }

    @AfterAll
    static void stopCluster() {
        if (records != null) {
            records.shutdown();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Records through the same cluster, in many slots; the stores share one client of their own (the locks have one
     * each), which checks the routing as well and saves a cluster discovery per store.
     */
    @Nested
    class Idempotency extends IdempotencyTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }

        @Override
        protected RecordStore createStore() {
            synchronized (RedisClusterTckTest.class) {
                if (records == null) {
                    Config config = new Config();
                    config.useClusterServers().setTimeout(1000).setRetryAttempts(0).addNodeAddress(
                            Arrays.stream(cluster.addresses()).map(a -> "redis://" + a).toArray(String[]::new));
                    records = Redisson.create(config);
                }
            }
            return RedisRecordStore.builder().client(records).operationTimeout(Duration.ofSeconds(2)).build();
        }
    }

    /** Inspection across the three masters: a listing walks every master's SCAN, keys of every shape read back. */
    @Nested
    class Inspection extends io.distlock.tck.InspectionTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Override
    protected TckBackend backend() {
        return backend;
    }

    @org.junit.jupiter.api.Test
    @DisplayName("renewAll across many slots: one script per slot, every lock renewed, none refused as CROSSSLOT")
    void renewAllAcrossSlots() {
        RedisConnection connection = new RedisConnection();
        connection.cluster(cluster.addresses());
        RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(2));
        try (RedisLockBackend redis = new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(2), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE)) {
            java.util.List<io.distlock.spi.Renewal> renewals = new java.util.ArrayList<>();
            java.util.Set<Integer> slots = new java.util.HashSet<>();
            for (int i = 0; i < 30; i++) {
                String key = "renew-all:" + i + ":" + java.util.UUID.randomUUID();
                org.assertj.core.api.Assertions.assertThat(redis.tryAcquire(key, "owner-" + i,
                        Duration.ofSeconds(5)).isAcquired()).isTrue();
                renewals.add(new io.distlock.spi.Renewal(key, "owner-" + i));
                slots.add(RedisKeys.slot(RedisKeys.lockKey(key)));
            }
            // Keys of the lock-key shape hash to the slot Redis computes.
            String probe = RedisKeys.lockKey(renewals.get(0).key());
            org.assertj.core.api.Assertions.assertThat(Integer.parseInt(cluster.nodes().get(0)
                    .cli("CLUSTER", "KEYSLOT", probe))).isEqualTo(RedisKeys.slot(probe));
            org.assertj.core.api.Assertions.assertThat(slots).hasSizeGreaterThan(3);
            java.util.List<io.distlock.spi.RenewalResult> results = redis.renewAll(renewals, Duration.ofSeconds(60),
                    System.nanoTime() + 2_000_000_000L);
            org.assertj.core.api.Assertions.assertThat(results).hasSize(30).allSatisfy(r ->
                    org.assertj.core.api.Assertions.assertThat(r.status())
                            .isEqualTo(io.distlock.spi.RenewalResult.Status.RENEWED));
        }
    }

    @org.junit.jupiter.api.Test
    @DisplayName("inspection: read finds keys on every master, list pages through every master with a small limit")
    void inspectionAcrossMasters() {
        RedisConnection connection = new RedisConnection();
        connection.cluster(cluster.addresses());
        RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(2));
        try (RedisLockBackend redis = new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(2), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE)) {
            String prefix = "inspect:" + java.util.UUID.randomUUID() + ":";
            java.util.Set<String> held = new java.util.HashSet<>();
            for (int i = 0; i < 30; i++) {
                String key = prefix + (i % 3 == 0 ? "{odd} " + i : "k" + i);
                org.assertj.core.api.Assertions.assertThat(redis.tryAcquire(key, "owner-" + i,
                        Duration.ofSeconds(30)).isAcquired()).isTrue();
                held.add(key);
                org.assertj.core.api.Assertions.assertThat(redis.read(key, System.nanoTime() + 2_000_000_000L)
                        .owner()).isEqualTo("owner-" + i);
            }
            java.util.Set<String> listed = new java.util.HashSet<>();
            String cursor = null;
            do {
                io.distlock.spi.LockInspection.Page page = redis.list(prefix, cursor, 4,
                        System.nanoTime() + 2_000_000_000L);
                org.assertj.core.api.Assertions.assertThat(page.locks().size()).isLessThanOrEqualTo(4);
                page.locks().forEach(l -> listed.add(l.key()));
                cursor = page.nextCursor();
            } while (cursor != null);
            org.assertj.core.api.Assertions.assertThat(listed).containsExactlyInAnyOrderElementsOf(held);
        }
    }
}
