package io.distlock.spi;

import io.distlock.LockBackendException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BoundedAwaitTest {

    private static final BoundedAwait.Failures FAILURES = new BoundedAwait.Failures() {
        @Override
        public LockBackendException timedOut(TimeoutException e) {
            return new LockBackendException("timed out", e);
        }

        @Override
        public LockBackendException interrupted(InterruptedException e) {
            return new LockBackendException("interrupted", e);
        }

        @Override
        public LockBackendException failed(Throwable cause) {
            return new LockBackendException("failed: " + cause.getMessage(), cause);
        }
    };

    @Test
    void aCompletedFutureIsReturned() {
        assertThat(BoundedAwait.until(CompletableFuture.completedFuture("x"), System.nanoTime(),
                BoundedAwait.Interrupts.ABORT, FAILURES)).isEqualTo("x");
    }

    @Test
    void aFailedCallIsUnwrapped() {
        CompletableFuture<String> f = CompletableFuture.failedFuture(new IllegalArgumentException("boom"));
        assertThatThrownBy(() -> BoundedAwait.until(f, System.nanoTime() + 1_000_000_000L,
                BoundedAwait.Interrupts.ABORT, FAILURES))
                .isInstanceOf(LockBackendException.class).hasMessage("failed: boom")
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeadlineInThePastTimesOut() {
        assertThatThrownBy(() -> BoundedAwait.until(new CompletableFuture<String>(), System.nanoTime() - 1,
                BoundedAwait.Interrupts.ABORT, FAILURES)).hasMessage("timed out");
    }

    @Test
    void abortGivesUpOnInterruptAndKeepsTheFlag() {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> BoundedAwait.until(new CompletableFuture<String>(),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(10), BoundedAwait.Interrupts.ABORT, FAILURES))
                    .hasMessage("interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void finishWaitsDespiteAnInterruptAndRestoresTheFlag() {
        CompletableFuture<String> f = new CompletableFuture<>();
        CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS).execute(() -> f.complete("done"));
        Thread.currentThread().interrupt();
        try {
            assertThat(BoundedAwait.until(f, System.nanoTime() + TimeUnit.SECONDS.toNanos(10),
                    BoundedAwait.Interrupts.FINISH, FAILURES)).isEqualTo("done");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }
}
