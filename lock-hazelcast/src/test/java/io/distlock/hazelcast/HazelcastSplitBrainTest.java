package io.distlock.hazelcast;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A three-member cluster split 1|2 by cutting member-to-member links ({@link PartitionableCluster}), with a manager
 * on every member contending for a few keys, each critical section writing to a fenced resource that keeps the
 * highest token per key. Without split-brain protection both sides grant the same keys (the IMap is AP): fencing is
 * the defence, so tokens must never repeat across the sides, must increase along each side's history, and after the
 * merge the next holder's token must exceed every token either side issued. With protection the minority side
 * refuses once it has noticed the split.
 */
@DisplayName("hazelcast split brain")
class HazelcastSplitBrainTest {

    /** Three operation timeouts: managers reject a timeout longer than the renewal interval (a third of the lease). */
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration WORKLOAD = Duration.ofSeconds(3);
    private static final int KEYS = 4;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        Exception failure = null;
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

    private LockManager manager(PartitionableCluster cluster, int member) {
        LockManager manager = HazelcastLockManager.builder().instance(cluster.member(member))
                .settings(LockSettings.defaults().withLease(LEASE).withOperationTimeout(Duration.ofSeconds(1)))
                .build();
        resources.add(manager);
        return manager;
    }

    /** Every grant: key, token, and the side that granted it, in grant order per side and key. */
    private record Grant(String key, long token, int side) {
    }

    /** Keeps the highest token per key; a write with a lower one is refused. */
    private static final class FencedResource {
        private final Map<String, Long> highest = new ConcurrentHashMap<>();
        final AtomicInteger refused = new AtomicInteger();

        boolean write(String key, long token) {
            boolean[] accepted = {false};
            highest.compute(key, (k, top) -> {
                if (top == null || token >= top) {
                    accepted[0] = true;
                    return token;
                }
                return top;
            });
            if (!accepted[0]) {
                refused.incrementAndGet();
            }
            return accepted[0];
        }
    }

    /** Runs one contending worker per manager for the workload time; returns every grant. */
    private static List<Grant> contend(List<String> keys, LockManager[] managers, int[] sideOf,
                                       FencedResource resource, AtomicInteger failures) throws InterruptedException {
        List<Grant> grants = java.util.Collections.synchronizedList(new ArrayList<>());
        long end = System.nanoTime() + WORKLOAD.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int m = 0; m < managers.length; m++) {
            LockManager manager = managers[m];
            int side = sideOf[m];
            Thread worker = new Thread(() -> {
                int i = 0;
                while (System.nanoTime() - end < 0) {
                    String key = keys.get(i++ % keys.size());
                    try {
                        Optional<LockHandle> handle = manager.tryLock(key);
                        if (handle.isPresent()) {
                            try (LockHandle held = handle.get()) {
                                // Recorded while held: per side and key, list order is grant order.
                                grants.add(new Grant(key, held.fencingToken(), side));
                                resource.write(key, held.fencingToken());
                            }
                        }
                    } catch (LockBackendException e) {
                        failures.incrementAndGet();
                    }
                }
            }, "split-worker-" + m);
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join(WORKLOAD.plusSeconds(30).toMillis());
        }
        return grants;
    }

    private static List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add("split:" + i + ":" + UUID.randomUUID());
        }
        return keys;
    }

    private static void assertFencing(List<Grant> grants) {
        Map<Long, Grant> byToken = new ConcurrentHashMap<>();
        List<String> duplicates = new ArrayList<>();
        Map<String, Long> lastPerSideAndKey = new ConcurrentHashMap<>();
        List<String> decreasing = new ArrayList<>();
        for (Grant grant : grants) {
            Grant earlier = byToken.putIfAbsent(grant.token(), grant);
            if (earlier != null && earlier.key().equals(grant.key())) {
                duplicates.add(grant.key() + " token " + grant.token() + " on sides " + earlier.side() + " and "
                        + grant.side());
            }
            String sideKey = grant.side() + "/" + grant.key();
            Long last = lastPerSideAndKey.put(sideKey, grant.token());
            if (last != null && grant.token() <= last) {
                decreasing.add(sideKey + ": " + last + " then " + grant.token());
            }
        }
        assertThat(duplicates).as("tokens issued twice for one key (of %d grants)", grants.size()).isEmpty();
        assertThat(decreasing).as("tokens that did not increase along one side's history").isEmpty();
    }

    @Test
    @DisplayName("without split-brain protection both sides grant, and no token repeats; after the merge tokens are "
            + "larger")
    void unprotectedSplitNeverRepeatsATokenAcrossSides() throws InterruptedException {
        PartitionableCluster cluster = PartitionableCluster.start("split", 3, null);
        resources.add(cluster);
        LockManager[] managers = {manager(cluster, 0), manager(cluster, 1), manager(cluster, 2)};
        List<String> keys = keys();
        FencedResource resource = new FencedResource();
        // Some history before the split, so both sides start from the same replicated tokens.
        for (String key : keys) {
            managers[1].tryLock(key).orElseThrow().close();
        }
        cluster.split(0);
        AtomicInteger failures = new AtomicInteger();
        List<Grant> grants = contend(keys, managers, new int[] {0, 1, 1}, resource, failures);
        Set<Integer> sidesThatGranted = ConcurrentHashMap.newKeySet();
        grants.forEach(g -> sidesThatGranted.add(g.side()));
        System.out.printf("split brain, unprotected: %d grants (%d on the minority), %d refused writes, "
                + "%d failed calls%n", grants.size(), grants.stream().filter(g -> g.side() == 0).count(),
                resource.refused.get(), failures.get());
        assertThat(sidesThatGranted).as("both sides granted locks during the split (the IMap is AP)")
                .containsExactlyInAnyOrder(0, 1);
        assertFencing(grants);

        cluster.heal();
        for (String key : keys) {
            long highest = grants.stream().filter(g -> g.key().equals(key)).mapToLong(Grant::token).max()
                    .orElse(0);
            LockHandle after = Awaitility.await("a grant of " + key + " after the merge")
                    .atMost(Duration.ofSeconds(30)).ignoreException(LockBackendException.class)
                    .until(() -> managers[1].tryLock(key).orElse(null), h -> h != null);
            try (after) {
                assertThat(after.fencingToken()).as("first token of %s after the merge", key)
                        .isGreaterThan(highest);
                assertThat(resource.write(key, after.fencingToken())).isTrue();
            }
        }
    }

    @Test
    @DisplayName("with split-brain protection the minority side refuses with LockBackendException, the majority grants")
    void protectedSplitRefusesOnTheMinority() throws InterruptedException {
        PartitionableCluster cluster = PartitionableCluster.start("split-protected", 3,
                HazelcastLockManager.DEFAULT_MAP_NAME);
        resources.add(cluster);
        LockManager[] managers = {manager(cluster, 0), manager(cluster, 1), manager(cluster, 2)};
        List<String> keys = keys();
        cluster.split(0);
        // Protection acts once the minority has noticed the split (which split() awaited).
        String probe = "split:probe:" + UUID.randomUUID();
        Awaitility.await("the minority refuses").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThatThrownBy(() -> managers[0].tryLock(probe).ifPresent(LockHandle::close))
                        .isInstanceOf(LockBackendException.class));
        FencedResource resource = new FencedResource();
        AtomicInteger failures = new AtomicInteger();
        List<Grant> grants = contend(keys, managers, new int[] {0, 1, 1}, resource, failures);
        System.out.printf("split brain, protected: %d grants, %d failed calls%n", grants.size(), failures.get());
        assertThat(grants).as("grants on the minority side").noneMatch(g -> g.side() == 0);
        assertThat(grants).as("grants on the majority side").anyMatch(g -> g.side() == 1);
        assertFencing(grants);
    }
}
