package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The double-grant window after a Sentinel failover, on a real master, replica and sentinel on loopback. The
 * master's links to its replica and to the sentinel go through {@link LinkProxy}s; cutting both partitions the
 * master off while client A, connected to it directly, keeps reaching it (as a client on the master's side of a
 * partition would). The sentinel promotes the replica; client B, following the sentinel, takes the key on the new
 * master once the lease copy there has run out.
 *
 * <p>Without {@code waitForReplicas}, A's renewals keep succeeding on the isolated master for as long as the
 * partition lasts, so A and B both believe they hold the key: only fencing tells them apart. With it, A's renewals
 * are not confirmed by any replica, so A's handle stops saying {@code isHeld()} before the new master can grant the
 * key, and reports the loss.
 */
@DisplayName("redis-sentinel: the double-grant window of a partitioned master, and waitForReplicas closing it")
class RedisFailoverWindowTest {

    private static final String MASTER = "distlock-window";
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration SOON = Duration.ofSeconds(30);

    private final List<AutoCloseable> resources = new ArrayList<>();
    private RedisServer master;
    private RedisServer replica;
    private RedisServer sentinel;
    private LinkProxy replicaLink;
    private LinkProxy sentinelLink;

    private <T extends AutoCloseable> T keep(T resource) {
        resources.add(resource);
        return resource;
    }

    private void startDeployment() throws Exception {
        startReplicated();
        sentinel = keep(RedisServer.startSentinel(MASTER, sentinelLink.port()));
        Awaitility.await("sentinel sees the replica").atMost(SOON)
                .until(() -> sentinel.cli("SENTINEL", "REPLICAS", MASTER).contains(Integer.toString(replica.port())));
    }

    /** Master and replica, without a sentinel. */
    private void startReplicated() throws Exception {
        master = keep(RedisServer.start());
        replicaLink = keep(new LinkProxy(master.port()));
        sentinelLink = keep(new LinkProxy(master.port()));
        replica = keep(RedisServer.start("--replicaof", "127.0.0.1", Integer.toString(replicaLink.port())));
        Awaitility.await("replica in sync").atMost(SOON)
                .until(() -> replica.cli("INFO", "replication").contains("master_link_status:up"));
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        resources.clear();
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withLease(LEASE).withOperationTimeout(Duration.ofSeconds(1));
    }

    private static long offset(RedisServer server, String field) {
        for (String line : server.cli("INFO", "replication").split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        return -1;
    }

    /** Holds a key on the master (A), partitions the master, and returns B's handle on the promoted replica. */
    private LockHandle partitionAndTakeOver(LockHandle a, LockManager b) {
        Awaitility.await("replica caught up").atMost(SOON)
                .until(() -> offset(replica, "slave_repl_offset") >= offset(master, "master_repl_offset"));
        replicaLink.cut();
        sentinelLink.cut();
        Awaitility.await("sentinel promotes the replica").atMost(SOON).pollInterval(Duration.ofMillis(100))
                .until(() -> sentinel.cli("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
                        .contains(Integer.toString(replica.port())));
        return Awaitility.await("B takes " + a.key() + " on the new master").atMost(SOON)
                .pollInterval(Duration.ofMillis(20)).ignoreException(LockBackendException.class)
                .until(() -> b.tryLock(a.key()).orElse(null), h -> h != null);
    }

    private LockManager sentinelManager() {
        return keep(RedisLockManager.builder().sentinel(MASTER, sentinel.address()).settings(settings()).build());
    }

    @Test
    @Tag("fault-suite")
    @DisplayName("without waitForReplicas: the old holder keeps renewing on the isolated master and still believes "
            + "it holds the key after the new master granted it (fencing is the only defence)")
    void withoutReplicaAcksTheWindowLastsThePartition() throws Exception {
        startDeployment();
        LockManager a = keep(RedisLockManager.builder().address(master.address()).settings(settings()).build());
        LockManager b = sentinelManager();
        String key = "window:" + UUID.randomUUID();
        LockHandle held = a.tryLock(key).orElseThrow();
        LockHandle taken = partitionAndTakeOver(held, b);
        // Two leases later A's renewals have kept going on the old master: both believe they hold the key.
        Awaitility.await().pollDelay(LEASE.multipliedBy(2)).atMost(SOON).until(() -> true);
        assertThat(held.isHeld()).as("A, renewing on the isolated master").isTrue();
        assertThat(taken.isHeld()).as("B, on the promoted replica").isTrue();
        assertThat(taken.fencingToken()).as("fencing tells them apart").isGreaterThan(held.fencingToken());
        taken.close();
    }

    @Test
    @DisplayName("waitForReplicas(1): the old holder's handle stops being held before the new master grants the key, "
            + "and reports the loss")
    void replicaAcksEndTheOldHoldBeforeTheNewGrant() throws Exception {
        startDeployment();
        LockManager a = keep(RedisLockManager.builder().address(master.address()).settings(settings())
                .waitForReplicas(1, Duration.ofMillis(200)).build());
        LockManager b = sentinelManager();
        String key = "window:" + UUID.randomUUID();
        LockHandle held = a.tryLock(key).orElseThrow();
        // Renewals confirmed by the replica keep the lock, past its first lease.
        Awaitility.await().pollDelay(LEASE.plusMillis(500)).atMost(SOON).until(() -> true);
        assertThat(held.isHeld()).as("held while the replica confirms the renewals").isTrue();
        LockHandle taken = partitionAndTakeOver(held, b);
        boolean oldStillHeld = held.isHeld();
        assertThat(oldStillHeld).as("A's handle when B got the key").isFalse();
        LockLoss loss = Awaitility.await("A's loss reported").atMost(SOON)
                .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
        assertThat(taken.fencingToken()).isGreaterThan(held.fencingToken());
        taken.close();
    }

    @Test
    @DisplayName("waitForReplicas(1) on a master without a reachable replica: tryLock fails with "
            + "LockBackendException and leaves no lock behind")
    void replicaAcksRefuseAcquisitionWithoutReplica() throws Exception {
        startReplicated();
        // Batched renewal with acknowledgements: confirmed while the replica is there, FAILED (not NOT_OWNER) after.
        RedisConnection connection = new RedisConnection();
        connection.single(master.address());
        RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(1));
        RedisLockBackend backend = keep(new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(1), Duration.ofMinutes(1),
                new RedisLockBackend.ReplicaAcks(1, Duration.ofMillis(200))));
        String batched = "window-batch:" + UUID.randomUUID();
        assertThat(backend.tryAcquire(batched, "owner", LEASE).isAcquired()).isTrue();
        List<io.distlock.spi.Renewal> renewal = List.of(new io.distlock.spi.Renewal(batched, "owner"));
        assertThat(backend.renewAll(renewal, LEASE, System.nanoTime() + 1_000_000_000L).get(0).status())
                .isEqualTo(io.distlock.spi.RenewalResult.Status.RENEWED);
        replicaLink.cut();
        Awaitility.await("renewals no longer confirmed").atMost(SOON).until(() -> backend.renewAll(renewal, LEASE,
                System.nanoTime() + 1_000_000_000L).get(0).status() == io.distlock.spi.RenewalResult.Status.FAILED);
        Awaitility.await("master sees no replica").atMost(SOON)
                .until(() -> master.cli("INFO", "replication").contains("connected_slaves:0"));
        try (LockManager a = RedisLockManager.builder().address(master.address()).settings(settings())
                .waitForReplicas(1, Duration.ofMillis(200)).build();
             LockManager plain = RedisLockManager.builder().address(master.address()).settings(settings())
                     .build()) {
            String key = "window:" + UUID.randomUUID();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> a.tryLock(key))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining("0 of 1");
            // The write that no replica confirmed is released again.
            LockHandle next = Awaitility.await(key + " free again").atMost(Duration.ofSeconds(2))
                    .until(() -> plain.tryLock(key).orElse(null), h -> h != null);
            next.close();
        }
    }
}
