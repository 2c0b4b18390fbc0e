package io.distlock.spi;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The core keeps at most {@link LockManagerCore#MAX_RENEWALS_IN_FLIGHT} renewal batches at an asynchronous backend at
 * once, sends the queued rest as batches complete, and frees the place of a batch whose stage never completes.
 */
class RenewalInFlightTest {

    /** Renews asynchronously: each batch's stage stays pending until the test completes it (or forever). */
    static final class AsyncBackend extends CoreRobustnessTest.ScriptedBackend {
        record Pending(List<Renewal> renewals, CompletableFuture<List<RenewalResult>> stage) {
        }

        final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        final AtomicInteger batches = new AtomicInteger();
        final AtomicInteger renewedKeys = new AtomicInteger();
        /** Batches to leave pending forever, before answering at once. */
        final AtomicInteger toHang = new AtomicInteger();
        volatile boolean answerAtOnce;

        @Override
        public int renewalBatchSize() {
            return 10;
        }

        @Override
        public CompletionStage<List<RenewalResult>> renewAllAsync(List<Renewal> renewals, Duration lease,
                                                                  long deadlineNanos) {
            batches.incrementAndGet();
            if (toHang.getAndDecrement() > 0) {
                return new CompletableFuture<>();
            }
            if (answerAtOnce) {
                renewedKeys.addAndGet(renewals.size());
                return CompletableFuture.completedFuture(Collections.nCopies(renewals.size(),
                        RenewalResult.renewed()));
            }
            int now = outstanding.incrementAndGet();
            maxOutstanding.accumulateAndGet(now, Math::max);
            CompletableFuture<List<RenewalResult>> stage = new CompletableFuture<>();
            pending.add(new Pending(renewals, stage));
            return stage;
        }

        /** Answers every pending batch: renewed. */
        int completeAll() {
            int n = 0;
            for (Pending p; (p = pending.poll()) != null; n++) {
                outstanding.decrementAndGet();
                renewedKeys.addAndGet(p.renewals().size());
                p.stage().complete(Collections.nCopies(p.renewals().size(), RenewalResult.renewed()));
            }
            return n;
        }
    }

    @Test
    void noMoreBatchesThanTheBoundAreInFlightAndTheRestFollowAsTheyComplete() {
        AsyncBackend backend = new AsyncBackend();
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(3))
                .withOperationTimeout(Duration.ofSeconds(1));
        int locks = 500;
        try (LockManager manager = LockManagerCore.create(backend, settings)) {
            List<LockHandle> handles = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                handles.add(manager.tryLock("k" + i).orElseThrow());
            }
            int bound = LockManagerCore.MAX_RENEWALS_IN_FLIGHT;
            // 50 batches of 10 are due at once; only the bound may be sent, and no more while none completes.
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.outstanding.get() == bound);
            Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                    .until(() -> backend.batches.get() == bound);
            // Completing them lets the queued batches go, still never more than the bound at once.
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(5)).until(() -> {
                backend.completeAll();
                return backend.renewedKeys.get() >= locks;
            });
            assertThat(backend.maxOutstanding.get()).isEqualTo(bound);
            assertThat(handles).allMatch(LockHandle::isHeld);
        }
    }

    @Test
    void aBatchThatNeverCompletesFreesItsPlaceAfterItsDeadline() {
        AsyncBackend backend = new AsyncBackend();
        backend.toHang.set(LockManagerCore.MAX_RENEWALS_IN_FLIGHT);
        backend.answerAtOnce = true;
        // A timeout far below the lease: the hung batches fail after 200 ms and are sent again long before the
        // lease runs out, even on a loaded machine.
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(3))
                .withOperationTimeout(Duration.ofMillis(100));
        int locks = 200;
        try (LockManager manager = LockManagerCore.create(backend, settings)) {
            List<LockHandle> handles = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                handles.add(manager.tryLock("k" + i).orElseThrow());
            }
            // Every place is taken by a stage that never completes; after its deadline plus a timeout the batch
            // counts as failed, its handles are renewed again within the lease, and nothing is lost.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> backend.renewedKeys.get() >= 2 * locks);
            assertThat(backend.batches.get()).as("batches sent, the hung ones included")
                    .isGreaterThanOrEqualTo(LockManagerCore.MAX_RENEWALS_IN_FLIGHT + 2 * locks / 10);
            assertThat(handles).allMatch(LockHandle::isHeld);
        }
    }
}
