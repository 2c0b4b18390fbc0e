package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.idempotency.spi.RecordStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * The record store SPI's own contract (clauses S1–S6 of docs/IDEMPOTENCY.md), below idempotency keys and tokens:
 * atomic conditional writes compared byte for byte, expiry that is never early and seen by every replica, the size
 * limit, misuse, and outages reported as errors, never as "absent".
 */
public abstract class RecordStoreTck extends AbstractTck {

    private final List<RecordStore> stores = new ArrayList<>();

    /**
     * A new store on the backend's shared deployment, as another replica would have.
     *
     * @return a new store; the kit closes it
     */
    protected abstract RecordStore createStore();

    /**
     * Faults that reach the stores; by default the backend's. A backend whose stores cannot be made unreachable
     * returns empty, and the outage test is reported as skipped.
     *
     * @return the faults, or empty to skip the outage test
     */
    protected Optional<TckBackend.Faults> storeFaults() {
        return backend().faults();
    }

    private RecordStore store() {
        RecordStore store = createStore();
        stores.add(store);
        return store;
    }

    @AfterEach
    void closeStores() {
        stores.forEach(RecordStore::close);
        stores.clear();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("clause S1: putIfAbsent stores once, and every replica reads the same bytes (all 256 byte values, empty)")
    void putIfAbsentStoresOnce() {
        RecordStore a = store();
        RecordStore b = store();
        String key = randomKey("store-put");
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        assertThat(a.putIfAbsent(key, all, Duration.ofMinutes(1))).as(clause("S1", "first put of %s", key)).isTrue();
        assertThat(b.putIfAbsent(key, bytes("other"), Duration.ofMinutes(1)))
                .as(clause("S1", "a second put of %s replaced a live entry", key)).isFalse();
        assertThat(b.get(key)).as(clause("S1", "another replica's read of %s", key)).hasValueSatisfying(
                v -> assertThat(v).containsExactly(all));
        String empty = randomKey("store-empty");
        assertThat(a.putIfAbsent(empty, new byte[0], Duration.ofMinutes(1))).isTrue();
        assertThat(b.get(empty)).as(clause("S1", "an empty value reads back empty")).hasValueSatisfying(
                v -> assertThat(v).isEmpty());
        assertThat(a.get(randomKey("store-absent"))).isEmpty();
    }

    @Test
    @DisplayName("clause S2: replace and remove act only on a byte-for-byte equal value")
    void conditionalWritesCompareBytes() {
        RecordStore a = store();
        RecordStore b = store();
        String key = randomKey("store-cas");
        a.putIfAbsent(key, bytes("v1"), Duration.ofMinutes(1));
        assertThat(b.replace(key, bytes("v2"), bytes("x"), Duration.ofMinutes(1)))
                .as(clause("S2", "replace of %s with a wrong expected value", key)).isFalse();
        assertThat(b.replace(key, bytes("v1"), bytes("v3"), Duration.ofMinutes(1))).isTrue();
        assertThat(a.get(key)).hasValueSatisfying(v -> assertThat(v).containsExactly(bytes("v3")));
        assertThat(a.remove(key, bytes("v1"))).as(clause("S2", "remove of %s with a stale value", key)).isFalse();
        assertThat(a.remove(key, bytes("v3"))).isTrue();
        assertThat(b.get(key)).as(clause("S2", "%s is still there after remove", key)).isEmpty();
        assertThat(b.replace(key, bytes("v3"), bytes("v4"), Duration.ofMinutes(1)))
                .as(clause("S2", "replace of an absent %s", key)).isFalse();
        assertThat(b.remove(key, bytes("v3"))).isFalse();
    }

    @Test
    @DisplayName("clause S3: entries expire after their ttl, never before, for every replica; replace sets a new ttl")
    void entriesExpire() {
        RecordStore a = store();
        RecordStore b = store();
        String key = randomKey("store-ttl");
        Duration ttl = Duration.ofMillis(800);
        long written = System.nanoTime();
        a.putIfAbsent(key, bytes("v"), ttl);
        Optional<byte[]> early = b.get(key);
        if (System.nanoTime() - written < ttl.toNanos()) {
            assertThat(early).as(clause("S3", "%s expired before its ttl", key)).isPresent();
        }
        Awaitility.await(clause("S3", "%s expires", key)).atMost(soon().plus(ttl.multipliedBy(4)))
                .pollInterval(Duration.ofMillis(50)).until(() -> b.get(key).isEmpty());
        assertThat(b.putIfAbsent(key, bytes("again"), Duration.ofMinutes(1)))
                .as(clause("S3", "an expired %s blocks a new put", key)).isTrue();
        String renewed = randomKey("store-replace-ttl");
        a.putIfAbsent(renewed, bytes("v1"), ttl);
        assertThat(a.replace(renewed, bytes("v1"), bytes("v2"), Duration.ofMinutes(5))).isTrue();
        long replacedAt = System.nanoTime();
        Awaitility.await().pollDelay(ttl.multipliedBy(2)).atMost(ttl.multipliedBy(3)).until(() -> true);
        if (System.nanoTime() - replacedAt < Duration.ofMinutes(5).toNanos()) {
            assertThat(b.get(renewed)).as(clause("S3", "replace did not set the new ttl of %s", renewed))
                    .isPresent();
        }
    }

    @Test
    @DisplayName("clause S4: a value over maxValueBytes is refused before reaching the store")
    void sizeLimit() {
        RecordStore a = store();
        String key = randomKey("store-size");
        int max = a.maxValueBytes();
        assertThat(max).isPositive();
        assertThatThrownBy(() -> a.putIfAbsent(key, new byte[max + 1], Duration.ofMinutes(1)))
                .as(clause("S4", "a value of %d bytes over the limit %d", max + 1, max))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(a.get(key)).isEmpty();
    }

    @Test
    @DisplayName("clause S5: nulls, non-positive ttls and a closed store are refused with JDK exceptions")
    void misuse() {
        RecordStore a = createStore();
        String key = randomKey("store-misuse");
        assertThatThrownBy(() -> a.putIfAbsent(null, bytes("v"), Duration.ofMinutes(1)))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> a.putIfAbsent(key, null, Duration.ofMinutes(1)))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> a.putIfAbsent(key, bytes("v"), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.replace(key, bytes("v"), bytes("w"), Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        a.close();
        a.close();
        assertThatThrownBy(() -> a.get(key)).as(clause("S5", "a closed store answered"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("clause S6: during an outage every operation throws LockBackendException in time, never 'absent'")
    void outageIsAnError() {
        TckBackend.Faults faults = storeFaults().orElse(null);
        Assumptions.assumeTrue(faults != null, backend().name() + ": its record stores cannot be made unreachable");
        RecordStore a = store();
        String key = randomKey("store-outage");
        a.putIfAbsent(key, bytes("v"), Duration.ofMinutes(5));
        Duration bound = backend().settings().operationTimeout().multipliedBy(2).plusSeconds(2);
        faults.startOutage();
        try {
            long start = System.nanoTime();
            try {
                Optional<byte[]> read = a.get(key);
                fail(clause("S6", "get of %s answered %s during an outage", key,
                        read.isPresent() ? "a value" : "absent"));
            } catch (LockBackendException expected) {
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as(clause("S6", "get threw late"))
                        .isLessThan(bound);
            }
            assertThatThrownBy(() -> a.putIfAbsent(randomKey("store-outage-put"), bytes("v"), Duration.ofMinutes(1)))
                    .isInstanceOf(LockBackendException.class);
        } finally {
            faults.endOutage();
        }
    }
}
