package io.distlock.hazelcast;

import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The backend's {@link LockInspection} on a two-member cluster, one backend on a member and one on a client: whole
 * owners (long, with the value's separator inside), tokens and leases as the partition owner judges them, paging in
 * key order, lapsed and released locks left out, and the owner-checked release of another backend's lock.
 */
@DisplayName("hazelcast inspection")
class HazelcastInspectionTest {

    private static final String MAP = "distlock.inspection";
    private static final long SECOND = 1_000_000_000L;

    private static TestCluster cluster;
    private static HazelcastLockBackend onMember;
    private static HazelcastLockBackend onClient;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start("inspection", 2);
        onMember = new HazelcastLockBackend(cluster.member(0), false, MAP, Duration.ofSeconds(5),
                Duration.ofMinutes(1));
        onClient = new HazelcastLockBackend(cluster.newClient(), false, MAP, Duration.ofSeconds(5),
                Duration.ofMinutes(1));
    }

    @AfterAll
    static void stop() {
        if (onMember != null) {
            onMember.close();
            onClient.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static long deadline() {
        return System.nanoTime() + 5 * SECOND;
    }

    @Test
    @DisplayName("read shows the whole owner, the token and the lease left; the client releases the member's lock")
    void readAndReleaseAnotherOwner() {
        String key = "inspect:" + UUID.randomUUID();
        String owner = "0a1b2c3d4e5f|1764633600000|svc%20one|" + "worker-|-".repeat(25);
        assertThat(owner.length()).isGreaterThan(200);
        long token = onMember.tryAcquire(key, owner, Duration.ofSeconds(30)).fencingToken();
        StoredLock lock = onClient.read(key, deadline());
        assertThat(lock).isNotNull();
        assertThat(lock.key()).isEqualTo(key);
        assertThat(lock.owner()).isEqualTo(owner);
        assertThat(lock.fencingToken()).isEqualTo(token);
        assertThat(lock.leaseRemainingNanos()).isPositive().isLessThanOrEqualTo(30 * SECOND);
        assertThat(onClient.release(key, lock.owner())).as("release with the owner read").isTrue();
        assertThat(onMember.read(key, deadline())).isNull();
        assertThat(onMember.renew(key, owner, Duration.ofSeconds(30))).as("the holder's next renewal").isFalse();
    }

    @Test
    @DisplayName("list pages in key order through held keys, leaving out released, lapsed and other prefixes")
    void listPages() {
        String base = "list:" + UUID.randomUUID() + ":";
        List<String> held = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String key = base + String.format("%02d", i);
            (i % 2 == 0 ? onMember : onClient).tryAcquire(key, "owner-" + i, Duration.ofSeconds(30));
            held.add(key);
        }
        onMember.tryAcquire(base + "released", "r", Duration.ofSeconds(30));
        onMember.release(base + "released", "r");
        onMember.tryAcquire(base + "lapsed", "l", Duration.ofMillis(50));
        onMember.tryAcquire("other:" + base, "o", Duration.ofSeconds(30));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> onClient.read(base + "lapsed", deadline()) == null);

        List<String> listed = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            LockInspection.Page page = onClient.list(base, cursor, 10, deadline());
            page.locks().forEach(lock -> listed.add(lock.key()));
            page.locks().forEach(lock -> assertThat(lock.owner()).startsWith("owner-"));
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(listed).containsExactlyElementsOf(held);
        assertThat(pages).isBetween(3, 4);
        assertThatThrownBy(() -> onMember.list(base, "nonsense", 10, deadline()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
