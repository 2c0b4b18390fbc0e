package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The leader of a 3-server ensemble is killed and restarted again and again while several managers (each with its own
 * session) contend for a few keys; every kill cuts the leader's client connections, so releases and acquisitions get
 * connection loss with unknown outcomes, and orphan clean-ups run on every reconnect. This is the fault under which
 * a duplicated clean-up deleted a successor's node ("at version 0", which every fresh node has): two holders at once,
 * the first never told, and the robbed holder's release then deleted its successor's node too.
 *
 * <p>Each critical section writes to a fenced resource per key. Checked: no two handles of one key say
 * {@code isHeld()} at the same time, the resource never sees a write older than the newest while its writer still
 * says held, and no handle is ever told {@code NOT_OWNER}: nobody but our own sessions deletes lock nodes here, so
 * such a loss would mean one of them deleted another's node. Rounds: {@code -Dzk.flapping.rounds} (default 4).
 */
class LeaderFlappingTest {

    private static final Logger log = LoggerFactory.getLogger(LeaderFlappingTest.class);
    private static final int ROUNDS = Integer.getInteger("zk.flapping.rounds", 4);
    private static final List<String> KEYS = List.of("flap-a", "flap-b");

    private TestingCluster cluster;
    private final List<LockManager> managers = new ArrayList<>();
    private final String namespace = "flapping-" + UUID.randomUUID();

    /** Keeps the highest token per key and refuses older ones, as a fenced database row would. */
    private static final class FencedResource {
        private long highest;
        private int writes;

        synchronized boolean write(long token) {
            if (token < highest) {
                return false;
            }
            highest = token;
            writes++;
            return true;
        }

        synchronized int writes() {
            return writes;
        }
    }

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

    @Test
    void leaderKilledAgainAndAgainNeverGrantsAKeyTwice() throws Exception {
        for (int i = 0; i < 4; i++) {
            managers.add(ZooKeeperLockManager.builder().connectString(cluster.getConnectString())
                    .namespace(namespace).settings(LockSettings.defaults().withLease(Duration.ofSeconds(6))
                            .withOperationTimeout(Duration.ofSeconds(1))).build());
        }
        Map<String, FencedResource> resources = new ConcurrentHashMap<>();
        Map<String, Set<LockHandle>> active = new ConcurrentHashMap<>();
        for (String key : KEYS) {
            resources.put(key, new FencedResource());
            active.put(key, ConcurrentHashMap.newKeySet());
        }
        List<String> overlaps = new CopyOnWriteArrayList<>();
        List<String> staleWrites = new CopyOnWriteArrayList<>();
        List<LockLoss> robbed = new CopyOnWriteArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger outages = new AtomicInteger();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (LockManager manager : managers) {
            Thread worker = new Thread(() -> {
                while (running.get()) {
                    String key = KEYS.get(ThreadLocalRandom.current().nextInt(KEYS.size()));
                    try {
                        Optional<LockHandle> got = manager.tryLock(key);
                        if (got.isEmpty()) {
                            continue;
                        }
                        LockHandle handle = got.get();
                        grants.incrementAndGet();
                        handle.lost().thenAccept(loss -> {
                            if (loss.reason() == LockLoss.Reason.NOT_OWNER) {
                                robbed.add(loss);
                            }
                        });
                        Set<LockHandle> holders = active.get(key);
                        holders.add(handle);
                        try {
                            for (int i = 0; i < 3 && handle.isHeld(); i++) {
                                for (LockHandle other : holders) {
                                    if (other != handle && other.isHeld() && handle.isHeld()) {
                                        overlaps.add(key + ": tokens " + other.fencingToken() + " and "
                                                + handle.fencingToken());
                                    }
                                }
                                if (!resources.get(key).write(handle.fencingToken()) && handle.isHeld()) {
                                    staleWrites.add(key + ": token " + handle.fencingToken());
                                }
                                Thread.sleep(1);
                            }
                        } finally {
                            holders.remove(handle);
                            handle.close();
                        }
                    } catch (LockBackendException e) {
                        // Expected while a server is down or an election runs.
                        outages.incrementAndGet();
                    } catch (InterruptedException e) {
                        return;
                    } catch (Throwable t) {
                        failures.add(t);
                        return;
                    }
                }
            }, "flapping-contender");
            worker.setDaemon(true);
            worker.start();
            workers.add(worker);
        }
        try {
            awaitMoreGrants(grants, "before the first kill");
            for (int round = 1; round <= ROUNDS; round++) {
                TestingZooKeeperServer leader = ZooKeeperServers.leader(cluster).orElseThrow();
                assertThat(cluster.killServer(leader.getInstanceSpec())).isTrue();
                await("a new leader after kill " + round).atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(50)).until(() -> ZooKeeperServers.leader(cluster).isPresent());
                awaitMoreGrants(grants, "after kill " + round);
                assertThat(cluster.restartServer(leader.getInstanceSpec())).isTrue();
                awaitMoreGrants(grants, "after restart " + round);
            }
        } finally {
            running.set(false);
            for (Thread worker : workers) {
                worker.join(10_000);
            }
        }
        log.info("{} grants, {} calls failed during the {} leader kills, writes {}", grants.get(), outages.get(),
                ROUNDS, resources.values().stream().mapToInt(FencedResource::writes).sum());
        assertThat(failures).isEmpty();
        assertThat(overlaps).as("two handles of one key held at once").isEmpty();
        assertThat(staleWrites).as("fenced writes refused while the writer still said held").isEmpty();
        assertThat(robbed).as("holders whose node another of our sessions deleted").isEmpty();
    }

    private static void awaitMoreGrants(AtomicInteger grants, String when) {
        int before = grants.get();
        await("locks are granted " + when).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> grants.get() >= before + 20);
    }
}
