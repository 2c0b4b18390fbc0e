package io.distlock.hazelcast;

import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Hazelcast-specific faults, each on its own cluster because it destroys members: the partition owner of a held key
 * dies (the lock survives on the backup), a client loses its cluster (its handles are lost once the lease passes, and
 * it works again once the cluster is back), and the whole cluster restarts empty (fencing tokens still increase).
 */
@DisplayName("hazelcast faults")
class HazelcastFaultTest {

    /** Three operation timeouts: managers reject a timeout longer than the renewal interval (a third of the lease). */
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration FAILOVER_LEASE = Duration.ofSeconds(4);

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Exception failure = null;
        // Managers first, then the clusters they talk to.
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

    private TestCluster cluster(String hint, int size) {
        TestCluster cluster = TestCluster.start(hint, size);
        resources.add(cluster);
        return cluster;
    }

    private LockManager clientManager(TestCluster cluster, LockSettings settings) {
        LockManager manager = HazelcastLockManager.builder().addresses(cluster.addresses())
                .clusterName(cluster.clusterName())
                .connectTimeout(TestCluster.CONNECT_TIMEOUT).settings(settings).build();
        resources.add(manager);
        return manager;
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withLease(LEASE).withOperationTimeout(TIMEOUT);
    }

    private static String key(String hint) {
        return "fault:" + hint + ":" + UUID.randomUUID();
    }

    @ParameterizedTest(name = "member {0}")
    @ValueSource(strings = {"terminated", "shut down"})
    @DisplayName("the partition owner of a held key goes away: the lock survives on the backup, no double grant")
    void ownerLossKeepsLock(String how) throws InterruptedException {
        TestCluster cluster = cluster("owner-loss", 2);
        // The lease must outlast the fail-over (the survivor notices the crash, promotes the backup, clients learn
        // the new partition table); a lock whose lease runs out during it is lost, and its holder told so.
        LockSettings settings = settings().withLease(FAILOVER_LEASE);
        LockManager holder = clientManager(cluster, settings);
        LockManager contender = clientManager(cluster, settings);
        String key = key("owner-loss");
        LockHandle held = holder.tryLock(key).orElseThrow();
        int owner = cluster.ownerOf(key);
        if (how.equals("terminated")) {
            cluster.terminate(owner);
        } else {
            cluster.shutdown(owner);
        }
        long crashedAt = System.nanoTime();
        // While the backup is promoted, calls may fail; once they answer, the key must still be held.
        Optional<LockHandle> stolen = Awaitility.await("the contender gets an answer for " + key)
                .atMost(Duration.ofSeconds(20)).ignoreException(LockBackendException.class)
                .until(() -> contender.tryLock(key), result -> true);
        System.out.printf("owner %s: first answer after %d ms%n", how, (System.nanoTime() - crashedAt) / 1_000_000);
        assertThat(stolen).as("the contender got %s after the owner of its partition was %s", key, how).isEmpty();
        // Renewals keep going on the promoted backup for more than a lease.
        long end = System.nanoTime() + FAILOVER_LEASE.multipliedBy(3).dividedBy(2).toNanos();
        while (System.nanoTime() < end) {
            try {
                assertThat(contender.tryLock(key)).as("%s was free while its holder renewed it", key).isEmpty();
            } catch (LockBackendException e) {
                // A call that failed during the fail-over proves nothing either way; the next probe decides.
            }
            Thread.sleep(50);
        }
        assertThat(held.isHeld()).as("holder of %s after the member was %s", key, how).isTrue();
        // The promoted backup holds what the primary wrote (owner|token|expiresAt), not a decision of its own.
        String stored = cluster.member(1 - owner).<String, String>getMap(HazelcastLockManager.DEFAULT_MAP_NAME)
                .get(key);
        assertThat(stored).as("value of %s on the promoted backup", key).contains("|" + held.fencingToken() + "|");
        assertThat(held.lost().toCompletableFuture().isDone()).as("loss reported for %s", key).isFalse();
        long token = held.fencingToken();
        held.close();
        try (LockHandle next = contender.tryLock(key).orElseThrow()) {
            assertThat(next.fencingToken()).isGreaterThan(token);
        }
    }

    @Test
    @DisplayName("a client that loses its cluster reports its handles lost after the lease, and works again after")
    void clientLosesCluster() {
        TestCluster cluster = cluster("client-loss", 1);
        LockManager manager = clientManager(cluster, settings());
        String key = key("client-loss");
        LockHandle held = manager.tryLock(key).orElseThrow();
        long token = held.fencingToken();
        cluster.terminateAll();
        LockLoss loss = Awaitility.await("loss of " + key + " is reported").atMost(LEASE.plus(TIMEOUT).plusSeconds(3))
                .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
        assertThat(held.isHeld()).isFalse();
        long start = System.nanoTime();
        assertThatThrownBy(() -> manager.tryLock(key("offline")))
                .as("tryLock while the cluster is gone").isInstanceOf(LockBackendException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(2));
        held.close();

        cluster.restartAll();
        // The same manager reconnects on its own; the restarted cluster lost the key, tokens still increase.
        LockHandle again = Awaitility.await("the manager works again after the cluster is back")
                .atMost(Duration.ofSeconds(30)).ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
        try (again) {
            assertThat(again.fencingToken()).isGreaterThan(token);
        }
    }

    @Test
    @DisplayName("the whole cluster restarts empty: fencing tokens still increase")
    void fullRestartKeepsTokensIncreasing() {
        TestCluster cluster = cluster("restart", 2);
        String key = key("restart");
        long last = 0;
        for (int round = 0; round < 2; round++) {
            // A fresh manager each round, as a service restarted with its cluster would have.
            LockManager manager = clientManager(cluster, settings());
            // Many quick acquisitions push the per-key counter ahead of the clock term as far as it can go.
            for (int i = 0; i < 50; i++) {
                try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                    assertThat(handle.fencingToken()).as("round %d, acquisition %d", round, i).isGreaterThan(last);
                    last = handle.fencingToken();
                }
            }
            manager.close();
            if (round == 0) {
                cluster.restartAll();
            }
        }
    }

    @Test
    @DisplayName("an acquire that timed out while the members stalled leaves no ghost lock: the key frees soon after")
    void timedOutAcquireLeavesNoGhostLock() {
        TestCluster cluster = cluster("ghost", 1);
        // A long lease, so a ghost lock would block the key far longer than the bound below.
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(30))
                .withOperationTimeout(Duration.ofMillis(500));
        LockManager stalled = HazelcastLockManager.builder().instance(cluster.member(0)).settings(settings).build();
        resources.add(stalled);
        LockManager other = HazelcastLockManager.builder().instance(cluster.member(0)).settings(settings).build();
        resources.add(other);
        String key = key("ghost");
        cluster.blockPartitions();
        try {
            assertThatThrownBy(() -> stalled.tryLock(key)).isInstanceOf(LockBackendException.class);
        } finally {
            // The members resume and run the acquire that nobody waits for any more.
            cluster.unblockPartitions();
        }
        LockHandle next = Awaitility.await("another manager gets " + key + " after the members resume")
                .atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                .ignoreException(LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        next.close();
    }

    @ParameterizedTest(name = "cluster {0}")
    @ValueSource(strings = {"terminated", "not answering key operations"})
    @DisplayName("close() of a manager with its own client returns within about one operation timeout in an outage")
    void closeIsBoundedInAnOutage(String outage) throws InterruptedException {
        TestCluster cluster = cluster("close-outage", 1);
        LockManager manager = HazelcastLockManager.builder().addresses(cluster.addresses())
                .clusterName(cluster.clusterName())
                .connectTimeout(TestCluster.CONNECT_TIMEOUT).settings(settings()).build();
        String key = key("close");
        LockHandle held = manager.tryLock(key).orElseThrow();
        // A wait registers the release listener, which close() removes.
        assertThat(manager.tryLock(key, Duration.ofMillis(100))).isEmpty();
        if (outage.equals("terminated")) {
            cluster.terminateAll();
        } else {
            cluster.blockPartitions();
        }
        long start = System.nanoTime();
        manager.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("close() with the cluster %s took %d ms (operation timeout %d ms)%n", outage,
                took.toMillis(), TIMEOUT.toMillis());
        assertThat(took).as("close() with the cluster %s", outage).isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(2));
    }

    /**
     * A member's cluster clock steps: every master heartbeat sets its offset to {@code masterTime - localTime}, so a
     * heartbeat delivered late (a member resumed after a pause) steps it back by its delay, and the next one steps it
     * forward again. This shifts the granting member's cluster clock as such heartbeats do, on a single member (its
     * own master, so no heartbeat resets it): back before the grant and forward after it, or forward during the
     * lease. A lease judged in cluster time then ends early by the step, and a contender gets the key while the
     * holder's handle says held; judged on the granting member's monotonic clock, it does not move.
     */
    @ParameterizedTest(name = "cluster clock {0}")
    @ValueSource(strings = {"back before the grant, forward after", "forward during the lease"})
    @DisplayName("a clock step on the granting member does not end a lease early")
    void clockStepDoesNotShortenALease(String step) throws Exception {
        TestCluster cluster = cluster("clock-step", 1);
        Duration lease = Duration.ofSeconds(3);
        long stepMillis = 2500;
        LockSettings settings = LockSettings.defaults().withLease(lease).withOperationTimeout(TIMEOUT);
        LockManager holder = HazelcastLockManager.builder().instance(cluster.member(0)).settings(settings).build();
        resources.add(holder);
        LockManager contender = HazelcastLockManager.builder().instance(cluster.member(0)).settings(settings)
                .build();
        resources.add(contender);
        MemberClock clock = new MemberClock(cluster.member(0));
        String key = key("clock");
        if (step.startsWith("back")) {
            clock.shift(-stepMillis);
        }
        LockHandle held = holder.tryLock(key).orElseThrow();
        try {
            // Back before the grant: this is the clock settling again. Otherwise a plain step forward.
            clock.shift(stepMillis);
            // Well inside the lease, and before the holder's first renewal (a third of the lease).
            long end = System.nanoTime() + Duration.ofMillis(900).toNanos();
            while (System.nanoTime() - end < 0) {
                Optional<LockHandle> stolen = contender.tryLock(key);
                stolen.ifPresent(LockHandle::close);
                assertThat(stolen).as("%s taken while its holder still held it (held: %s) after the clock stepped %s",
                        key, held.isHeld(), step).isEmpty();
                Thread.sleep(20); // pacing only
            }
            assertThat(held.isHeld()).isTrue();
        } finally {
            clock.restore();
            held.close();
        }
    }

    /** The cluster clock offset of one member, shifted as a master heartbeat would, and restored. */
    private static final class MemberClock {
        private final Object clock;
        private final Method get;
        private final Method set;
        private final long original;

        MemberClock(com.hazelcast.core.HazelcastInstance member) throws ReflectiveOperationException {
            clock = ((HazelcastInstanceProxy) member).getOriginal().node.getClusterService().getClusterClock();
            get = clock.getClass().getDeclaredMethod("getClusterTimeDiff");
            set = clock.getClass().getDeclaredMethod("setClusterTimeDiff", long.class);
            get.setAccessible(true);
            set.setAccessible(true);
            original = (long) get.invoke(clock);
        }

        void shift(long millis) throws ReflectiveOperationException {
            set.invoke(clock, (long) get.invoke(clock) + millis);
        }

        void restore() throws ReflectiveOperationException {
            set.invoke(clock, original);
        }
    }
}
