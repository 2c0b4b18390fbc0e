package io.distlock.local;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Lease arithmetic with an injected ticker: expiry is checked by moving time, not by sleeping. */
class LocalLeaseTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;
    private final LockSettings settings = LockSettings.defaults().withTicker(ticker).withRenewal(false)
            .withLease(Duration.ofSeconds(10));

    private LockManager manager(String table) {
        return LocalLockManager.builder().name(table).settings(settings).build();
    }

    @Test
    void keyFreesExactlyWhenTheLeaseHasRunOut() {
        String table = "lease-" + UUID.randomUUID();
        try (LockManager a = manager(table); LockManager b = manager(table)) {
            LockHandle old = a.tryLock("k").orElseThrow();
            now.addAndGet(Duration.ofSeconds(10).toNanos() - 1);
            assertThat(b.tryLock("k")).isEmpty();
            assertThat(old.isHeld()).isTrue();
            now.addAndGet(1);
            // isHeld follows the ticker at once, before any background expiry notices.
            assertThat(old.isHeld()).isFalse();
            try (LockHandle next = b.tryLock("k").orElseThrow()) {
                assertThat(next.fencingToken()).isGreaterThan(old.fencingToken());
                old.close();
                assertThat(next.isHeld()).isTrue();
                assertThat(a.tryLock("k")).isEmpty();
            }
        }
    }

    @Test
    void lostLocksAreReportedWithTheReason() throws Exception {
        String table = "loss-" + UUID.randomUUID();
        LocalFaults faults = new LocalFaults();
        LockSettings renewing = LockSettings.defaults().withLease(Duration.ofMillis(900))
                .withOperationTimeout(Duration.ofMillis(300));
        try (LockManager a = LocalLockManager.builder().name(table).settings(renewing).faults(faults).build()) {
            LockHandle held = a.tryLock("k").orElseThrow();
            faults.loseAllLocks();
            LockLoss loss = held.lost().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(loss.key()).isEqualTo("k");
            assertThat(held.isHeld()).isFalse();
            held.close();
        }
    }
}
