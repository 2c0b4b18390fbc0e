package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingZooKeeperServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A 3-server ensemble losing a follower, then the leader, then its quorum: while a quorum stands locks keep working,
 * without one nothing is granted, no key is ever granted twice, and fencing tokens keep increasing in grant order.
 */
class ClusterTest {

    private static final Logger log = LoggerFactory.getLogger(ClusterTest.class);

    private TestingCluster cluster;
    private final List<LockManager> managers = new ArrayList<>();
    private final String namespace = "cluster-" + UUID.randomUUID();

    @BeforeEach
    void start() throws Exception {
        cluster = ZooKeeperServers.cluster(3);
        await("a leader is elected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> ZooKeeperServers.leader(cluster).isPresent());
    }

    @AfterEach
    void stop() throws Exception {
        managers.forEach(LockManager::close);
        cluster.close();
    }

    private LockManager manager() {
        LockManager manager = ZooKeeperLockManager.builder().connectString(cluster.getConnectString())
                .namespace(namespace).sessionTimeout(Duration.ofSeconds(6))
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2))).build();
        managers.add(manager);
        return manager;
    }

    @Test
    void followerAndLeaderLossNeverGrantAKeyTwice() throws Exception {
        LockManager a = manager();
        LockManager b = manager();
        LockHandle held = a.tryLock("held").orElseThrow();

        // Two replicas compete for one key all along; each records its token while it holds the key. Grants of one
        // key are serialized by the ensemble, so the recorded tokens must strictly increase in recording order.
        List<Long> grants = new CopyOnWriteArrayList<>();
        List<Throwable> workerFailures = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (LockManager manager : List.of(a, b)) {
            Thread worker = new Thread(() -> {
                while (running.get()) {
                    try {
                        Optional<LockHandle> handle = manager.tryLock("contended");
                        if (handle.isPresent()) {
                            try (LockHandle h = handle.get()) {
                                grants.add(h.fencingToken());
                            }
                        }
                    } catch (LockBackendException e) {
                        // Expected while no quorum stands.
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

            TestingZooKeeperServer leader = ZooKeeperServers.leader(cluster).orElseThrow();
            TestingZooKeeperServer follower = cluster.getServers().stream().filter(s -> s != leader).findFirst()
                    .orElseThrow();
            assertThat(cluster.killServer(follower.getInstanceSpec())).isTrue();
            awaitNewGrants(grants, "after a follower died");
            checkHeld(held, b);

            assertThat(cluster.restartServer(follower.getInstanceSpec())).isTrue();
            awaitNewGrants(grants, "after the follower came back");

            assertThat(cluster.killServer(leader.getInstanceSpec())).isTrue();
            await("a new leader is elected").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> ZooKeeperServers.leader(cluster).isPresent());
            awaitNewGrants(grants, "after the leader died and the other two elected a new one");
            checkHeld(held, b);

            // One server left: no quorum, so nothing may be granted; calls fail rather than answer "held".
            TestingZooKeeperServer newLeader = ZooKeeperServers.leader(cluster).orElseThrow();
            assertThat(cluster.killServer(newLeader.getInstanceSpec())).isTrue();
            awaitNoGrants(grants);
        } finally {
            running.set(false);
            for (Thread worker : workers) {
                worker.join(10_000);
            }
        }
        assertThat(workerFailures).isEmpty();
        for (int i = 1; i < grants.size(); i++) {
            assertThat(grants.get(i)).as("grant #%d of 'contended' (tokens %s)", i, grants).isGreaterThan(grants.get(i - 1));
        }
        log.info("{} grants of one contended key across the failovers; holder of 'held' survived: {}", grants.size(),
                held.isHeld());
        held.close();
    }

    /** While the first holder's handle is not lost, nobody else gets the key; once lost, the next token is larger. */
    private static void checkHeld(LockHandle held, LockManager other) {
        Optional<LockHandle> second = await().atMost(Duration.ofSeconds(10)).ignoreException(LockBackendException.class)
                .until(() -> other.tryLock("held"), r -> true);
        if (held.lost().toCompletableFuture().isDone()) {
            second.ifPresent(h -> {
                assertThat(h.fencingToken()).isGreaterThan(held.fencingToken());
                h.close();
            });
        } else {
            second.ifPresent(LockHandle::close);
            assertThat(second).as("'held' granted while its holder's session lives").isEmpty();
        }
    }

    private static void awaitNewGrants(List<Long> grants, String when) {
        int before = grants.size();
        await("locks are granted " + when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> grants.size() >= before + 5);
    }

    private static void awaitNoGrants(List<Long> grants) throws InterruptedException {
        // Let requests in flight when the quorum went finish, then see that nothing more is granted.
        Thread.sleep(500);
        int before = grants.size();
        Thread.sleep(1_000);
        assertThat(grants.size()).as("grants without a quorum").isEqualTo(before);
    }
}
