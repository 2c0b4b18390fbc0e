package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * A 3-member etcd cluster started by the test (private processes on loopback) losing a follower, then the leader,
 * then a member to SIGSTOP, then its quorum: while a quorum stands locks keep being granted; without one nothing is
 * granted and calls throw {@link LockBackendException} within the operation timeout; no key is ever held twice at
 * once (an occupancy counter inside the critical section), and fencing tokens strictly increase in grant order across
 * every failover. A holder cut off from the cluster for longer than its lease is reported lost, and its successor gets
 * a larger token.
 */
@DisplayName("etcd: 3-member cluster faults")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdClusterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static List<EtcdServer> members;
    private final List<LockManager> managers = new ArrayList<>();
    private final String namespace = "cluster-" + UUID.randomUUID();

    @BeforeAll
    static void startCluster() {
        members = EtcdServer.cluster(3);
    }

    @AfterAll
    static void stopCluster() {
        if (members != null) {
            members.forEach(EtcdServer::close);
        }
    }

    @AfterEach
    void closeManagers() {
        managers.forEach(LockManager::close);
        // Every member up again for the next test.
        for (EtcdServer member : members) {
            if (!member.isRunning()) {
                member.restart(false);
            }
        }
        await("the cluster is healthy again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> members.stream().allMatch(EtcdServer::isHealthy));
    }

    private LockManager manager(List<EtcdServer> endpoints, Duration lease) {
        LockManager manager = EtcdLockManager.builder()
                .endpoints(endpoints.stream().map(EtcdServer::endpoint).toArray(String[]::new))
                .namespace(namespace)
                .settings(LockSettings.defaults().withOperationTimeout(TIMEOUT).withLease(lease)).build();
        managers.add(manager);
        return manager;
    }

    @Test
    @Order(1)
    @DisplayName("follower killed, leader killed, member paused, quorum lost: never a double grant; no quorum, no grant "
            + "and LockBackendException in time")
    void failoversNeverGrantAKeyTwice() throws Exception {
        LockManager a = manager(members, Duration.ofSeconds(10));
        LockManager b = manager(members, Duration.ofSeconds(10));
        LockHandle held = await().atMost(Duration.ofSeconds(10)).ignoreException(LockBackendException.class)
                .until(() -> a.tryLock("held").orElse(null), h -> h != null);

        List<Long> grants = new CopyOnWriteArrayList<>();
        List<Throwable> workerFailures = new CopyOnWriteArrayList<>();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (LockManager manager : List.of(a, b)) {
            Thread worker = new Thread(() -> {
                while (running.get()) {
                    try {
                        Optional<LockHandle> handle = manager.tryLock("contended");
                        if (handle.isPresent()) {
                            try (LockHandle h = handle.get()) {
                                if (inside.incrementAndGet() != 1) {
                                    overlaps.incrementAndGet();
                                }
                                grants.add(h.fencingToken());
                                inside.decrementAndGet();
                            }
                        }
                    } catch (LockBackendException e) {
                        // Expected while a member is unreachable or no quorum stands.
                    } catch (Throwable t) {
                        workerFailures.add(t);
                        return;
                    }
                }
            }, "contender");
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
        try {
            awaitNewGrants(grants, "before any failure");

            EtcdServer follower = members.stream().filter(m -> !isLeader(m)).findFirst().orElseThrow();
            follower.kill();
            awaitNewGrants(grants, "after a follower was killed");
            checkHeld(held, b);
            follower.restart(true);
            awaitNewGrants(grants, "after the follower came back");

            EtcdServer leader = leader();
            leader.kill();
            await("the other two elect a new leader").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100)).until(() -> members.stream()
                            .anyMatch(m -> m != leader && m.isRunning() && m.isHealthy()));
            awaitNewGrants(grants, "after the leader was killed and a new one elected");
            checkHeld(held, b);
            leader.restart(true);

            EtcdServer paused = members.get(2);
            paused.pause();
            try {
                // Calls routed to the paused member time out; the others go on granting.
                awaitNewGrants(grants, "while a member is paused (SIGSTOP)");
            } finally {
                paused.resume();
            }

            // Two members killed: no quorum, so nothing may be granted, and calls fail in time rather than answer.
            EtcdServer survivor = members.get(0);
            members.stream().filter(m -> m != survivor).forEach(EtcdServer::kill);
            awaitNoGrants(grants);
            long start = System.nanoTime();
            try {
                Optional<LockHandle> result = b.tryLock("no-quorum-" + UUID.randomUUID());
                result.ifPresent(LockHandle::close);
                fail("tryLock without quorum returned %s instead of throwing LockBackendException",
                        result.isPresent() ? "a handle" : "empty");
            } catch (LockBackendException expected) {
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(took).as("LockBackendException without quorum came after %s (timeout %s)", took, TIMEOUT)
                        .isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(2));
            }
        } finally {
            running.set(false);
            for (Thread worker : workers) {
                worker.join(10_000);
            }
        }
        assertThat(workerFailures).isEmpty();
        assertThat(overlaps.get()).as("critical sections of 'contended' that overlapped").isZero();
        for (int i = 1; i < grants.size(); i++) {
            assertThat(grants.get(i)).as("grant #%d of 'contended' (tokens %s)", i, grants)
                    .isGreaterThan(grants.get(i - 1));
        }
        held.close();
    }

    @Test
    @Order(2)
    @DisplayName("a holder cut off from the cluster longer than its lease is reported lost; the successor's token is "
            + "larger")
    void cutOffHolderIsReportedLost() {
        EtcdServer isolated = members.stream().filter(m -> !isLeader(m)).findFirst().orElseThrow();
        List<EtcdServer> others = members.stream().filter(m -> m != isolated).toList();
        Duration lease = Duration.ofSeconds(2);
        LockManager holder = manager(List.of(isolated), lease);
        LockManager successor = manager(others, lease);
        String key = "cut-off-" + UUID.randomUUID();
        LockHandle held = await().atMost(Duration.ofSeconds(10)).ignoreException(LockBackendException.class)
                .until(() -> holder.tryLock(key).orElse(null), h -> h != null);
        AtomicLong lostAt = new AtomicLong();
        held.lost().thenRun(() -> lostAt.set(System.nanoTime()));
        // The holder's only member stops answering, like a holder whose host hangs: its keep-alives stop reaching
        // the cluster, which expires the lease while the holder cannot hear about it.
        isolated.pause();
        try {
            LockHandle next = await("the successor gets the key once the holder's lease expired")
                    .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .ignoreException(LockBackendException.class)
                    .until(() -> successor.tryLock(key).orElse(null), h -> h != null);
            long acquiredAt = System.nanoTime();
            try (next) {
                LockLoss loss = await("the holder reports the loss").atMost(Duration.ofSeconds(10))
                        .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
                assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
                assertThat(held.isHeld()).isFalse();
                assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
                // The holder counts its lease from when its last confirmed keep-alive was sent, so it gives up no
                // later than the cluster expires the lease. A margin covers the timer thread on a loaded machine.
                assertThat(lostAt.get()).as("loss reported before the successor got the key").isNotZero();
                assertThat(Duration.ofNanos(lostAt.get() - acquiredAt))
                        .as("loss reported after the successor acquired").isLessThan(Duration.ofMillis(500));
            }
        } finally {
            isolated.resume();
        }
        held.close();
    }

    private static boolean isLeader(EtcdServer member) {
        return member.isRunning() && EtcdCluster.isLeader(member);
    }

    private static EtcdServer leader() {
        return await("a leader").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> members.stream().filter(EtcdClusterTest::isLeader).findFirst(), Optional::isPresent)
                .orElseThrow();
    }

    /** While the first holder's handle is not lost, nobody else gets the key; once lost, the next token is larger. */
    private static void checkHeld(LockHandle held, LockManager other) {
        Optional<LockHandle> second = await().atMost(Duration.ofSeconds(10))
                .ignoreException(LockBackendException.class).until(() -> other.tryLock("held"), r -> true);
        if (held.lost().toCompletableFuture().isDone()) {
            second.ifPresent(h -> {
                assertThat(h.fencingToken()).isGreaterThan(held.fencingToken());
                h.close();
            });
        } else {
            second.ifPresent(LockHandle::close);
            assertThat(second).as("'held' granted while its holder's lease lives").isEmpty();
        }
    }

    private static void awaitNewGrants(List<Long> grants, String when) {
        int before = grants.size();
        await("locks are granted " + when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> grants.size() >= before + 5);
    }

    private static void awaitNoGrants(List<Long> grants) throws InterruptedException {
        // Requests in flight when the quorum went end within the operation timeout; after that nothing is granted.
        Thread.sleep(TIMEOUT.toMillis() + 500);
        int before = grants.size();
        Thread.sleep(1_000);
        assertThat(grants.size()).as("grants without a quorum").isEqualTo(before);
    }
}
