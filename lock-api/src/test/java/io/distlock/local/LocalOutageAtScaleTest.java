package io.distlock.local;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Renewal and loss reports do not queue behind each other: in an outage every one of many handles is reported lost
 * within about one lease plus one operation timeout of the outage's start, however many there are.
 */
class LocalOutageAtScaleTest {

    private static final int HANDLES = 2_000;

    @Test
    void everyHandleIsReportedLostWithinAboutOneLeaseInAnOutage() {
        Duration lease = Duration.ofMillis(900);
        Duration timeout = Duration.ofMillis(300);
        LocalFaults faults = new LocalFaults();
        LockSettings settings = LockSettings.defaults().withLease(lease).withOperationTimeout(timeout);
        try (LockManager manager = LocalLockManager.builder().name("scale-" + UUID.randomUUID()).settings(settings)
                .faults(faults).build()) {
            List<LockHandle> handles = new ArrayList<>();
            for (int i = 0; i < HANDLES; i++) {
                handles.add(manager.tryLock("k" + i).orElseThrow());
            }
            ConcurrentHashMap<String, Long> lostAt = new ConcurrentHashMap<>();
            for (LockHandle handle : handles) {
                handle.lost().thenAccept(loss -> {
                    assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
                    lostAt.put(loss.key(), System.nanoTime());
                });
            }
            // Let a round of renewals confirm every lock, so each was renewed within the last lease.
            Awaitility.await().pollDelay(lease.dividedBy(2)).atMost(Duration.ofSeconds(10))
                    .until(() -> handles.stream().allMatch(LockHandle::isHeld));
            long outageAt = System.nanoTime();
            faults.startOutage();
            try {
                Duration bound = lease.plus(timeout).multipliedBy(2);
                Awaitility.await().atMost(bound.plusSeconds(5)).until(() -> lostAt.size() == HANDLES);
                long last = lostAt.values().stream().mapToLong(Long::longValue).max().orElseThrow();
                Duration lastLoss = Duration.ofNanos(last - outageAt);
                // Each handle was confirmed at most a lease before the outage: all must be reported by one lease
                // (plus the tick) after it, not one after the other.
                assertThat(lastLoss).as("last of %d losses reported after the outage started", HANDLES)
                        .isLessThan(bound);
                System.out.printf("%d handles: last loss reported %d ms after the outage began (lease %d ms)%n",
                        HANDLES, lastLoss.toMillis(), lease.toMillis());
            } finally {
                faults.endOutage();
            }
        }
    }
}
