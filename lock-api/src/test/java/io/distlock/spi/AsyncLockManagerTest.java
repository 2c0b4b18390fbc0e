package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * What the TCK's async pass cannot see through its blocking wrapper: completed stages with no thread hop, waits that
 * hold no thread, cancellation with an answer in flight, misuse thrown at the call.
 */
class AsyncLockManagerTest {

    private final List<LockManager> managers = new CopyOnWriteArrayList<>();
    private final String table = "async-" + UUID.randomUUID();

    private LockManager manager() {
        return manager(null);
    }

    private LockManager manager(LocalFaults faults) {
        LocalLockManager.Builder builder = LocalLockManager.builder().name(table)
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofMillis(300)));
        LockManager manager = (faults == null ? builder : builder.faults(faults)).build();
        managers.add(manager);
        return manager;
    }

    @AfterEach
    void close() {
        managers.forEach(LockManager::close);
    }

    @Test
    void aKeyThisManagerHoldsIsAnsweredByACompletedStage() {
        LockManager locks = manager();
        LockHandle held = locks.tryLock("k").orElseThrow();
        CompletionStage<Optional<LockHandle>> stage = locks.tryLockAsync("k");
        assertThat(stage.toCompletableFuture().getNow(null)).isEmpty();
        held.close();
        assertThat(locks.tryLockAsync("k").toCompletableFuture().getNow(null)).isPresent();
    }

    @Test
    void misuseIsThrownAtTheCall() {
        LockManager locks = manager();
        assertThatThrownBy(() -> locks.tryLockAsync(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> locks.tryLockAsync(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> locks.tryLockAsync("k", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> locks.tryLockAsync("k", Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait");
        locks.close();
        assertThatThrownBy(() -> locks.tryLockAsync("k")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> locks.tryLockAsync("k", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anOutageCompletesTheStageWithLockBackendException() {
        LocalFaults faults = new LocalFaults();
        LockManager locks = manager(faults);
        faults.startOutage();
        try {
            CompletableFuture<Optional<LockHandle>> stage = locks.tryLockAsync("k").toCompletableFuture();
            CompletableFuture<Optional<LockHandle>> waiting =
                    locks.tryLockAsync("w", Duration.ofSeconds(30)).toCompletableFuture();
            await().atMost(Duration.ofSeconds(10)).until(() -> stage.isDone() && waiting.isDone());
            for (CompletableFuture<Optional<LockHandle>> done : List.of(stage, waiting)) {
                assertThatThrownBy(done::get).isInstanceOf(ExecutionException.class)
                        .hasCauseInstanceOf(LockBackendException.class);
            }
        } finally {
            faults.endOutage();
        }
    }

    @Test
    void thousandsOfWaitsHoldNoThreadAndAreWokenByTheirReleases() {
        LockManager holder = manager();
        LockManager waiter = manager();
        int n = 2_000;
        List<LockHandle> held = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            held.add(holder.tryLock("key-" + i).orElseThrow());
        }
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
        List<CompletableFuture<Optional<LockHandle>>> waits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            waits.add(waiter.tryLockAsync("key-" + i, Duration.ofMinutes(1)).toCompletableFuture());
        }
        assertThat(waits).noneMatch(CompletableFuture::isDone);
        // A thread per wait would add 2,000; the manager's own few threads may start.
        assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThan(threadsBefore + 10);
        held.forEach(LockHandle::close);
        await().atMost(Duration.ofSeconds(30)).until(() -> waits.stream().allMatch(CompletableFuture::isDone));
        for (CompletableFuture<Optional<LockHandle>> wait : waits) {
            assertThat(wait.join()).isPresent().get().matches(LockHandle::isHeld);
        }
    }

    @Test
    void aWaitForAKeyOfTheSameManagerIsWokenByItsLocalRelease() {
        LockManager locks = manager();
        LockHandle held = locks.tryLock("k").orElseThrow();
        CompletableFuture<Optional<LockHandle>> wait =
                locks.tryLockAsync("k", Duration.ofMinutes(1)).toCompletableFuture();
        assertThat(wait).isNotDone();
        held.close();
        await().atMost(Duration.ofSeconds(10)).until(wait::isDone);
        assertThat(wait.join()).isPresent();
    }

    @Test
    void aWaitThatRunsOutCompletesEmpty() {
        LockManager holder = manager();
        holder.tryLock("k").orElseThrow();
        CompletableFuture<Optional<LockHandle>> wait =
                manager().tryLockAsync("k", Duration.ofMillis(200)).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10)).until(wait::isDone);
        assertThat(wait.join()).isEmpty();
    }

    @Test
    void aCancelledWaitHoldsNothingAfterTheRelease() {
        LockManager holder = manager();
        LockHandle held = holder.tryLock("k").orElseThrow();
        CompletableFuture<Optional<LockHandle>> wait =
                manager().tryLockAsync("k", Duration.ofMinutes(1)).toCompletableFuture();
        wait.cancel(false);
        held.close();
        LockHandle next = manager().tryLock("k").orElseThrow(() -> new AssertionError("the cancelled wait took it"));
        next.close();
    }

    @Test
    void closingTheManagerEndsItsWaits() {
        LockManager holder = manager();
        holder.tryLock("k").orElseThrow();
        LockManager locks = manager();
        CompletableFuture<Optional<LockHandle>> wait =
                locks.tryLockAsync("k", Duration.ofMinutes(1)).toCompletableFuture();
        locks.close();
        await().atMost(Duration.ofSeconds(10)).until(wait::isDone);
        assertThatThrownBy(wait::get).hasCauseInstanceOf(IllegalStateException.class);
    }

    /** A backend whose asynchronous answers the test hands out, counting releases. */
    private static final class ScriptedAsync implements LockBackend {
        final ConcurrentLinkedQueue<CompletableFuture<AcquireResult>> pending = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> released = new ConcurrentLinkedQueue<>();

        @Override
        public String name() {
            return "scripted-async";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            throw new AssertionError("the asynchronous path must not call the blocking form");
        }

        @Override
        public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                              long deadlineNanos) {
            CompletableFuture<AcquireResult> answer = new CompletableFuture<>();
            pending.add(answer);
            return answer;
        }

        @Override
        public boolean release(String key, String owner) {
            released.add(owner);
            return true;
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            return true;
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            return () -> { };
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aLockGrantedAfterCancellationIsReleased() {
        ScriptedAsync backend = new ScriptedAsync();
        LockManager locks = LockManagerCore.create(backend, LockSettings.defaults());
        managers.add(locks);
        CompletableFuture<Optional<LockHandle>> stage = locks.tryLockAsync("k").toCompletableFuture();
        CompletableFuture<Optional<LockHandle>> waiting =
                locks.tryLockAsync("w", Duration.ofMinutes(1)).toCompletableFuture();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.pending.size() == 2);
        stage.cancel(false);
        waiting.cancel(false);
        backend.pending.forEach(answer -> answer.complete(AcquireResult.acquired(1)));
        assertThat(backend.released).hasSize(2);
        // Nothing is held here either: the next call goes to the backend instead of failing fast.
        assertThat(locks.tryLockAsync("k").toCompletableFuture()).isNotDone();
        assertThat(backend.pending).hasSize(3);
    }

    @Test
    void anExceptionalAnswerIsAnOutageAndLeavesNothingHeld() {
        ScriptedAsync backend = new ScriptedAsync();
        LockManager locks = LockManagerCore.create(backend, LockSettings.defaults());
        managers.add(locks);
        CompletableFuture<Optional<LockHandle>> stage = locks.tryLockAsync("k").toCompletableFuture();
        backend.pending.poll().completeExceptionally(new java.io.IOException("connection reset"));
        assertThatThrownBy(stage::get).hasCauseInstanceOf(LockBackendException.class)
                .hasMessageContaining("connection reset");
        CompletableFuture<Optional<LockHandle>> again = locks.tryLockAsync("k").toCompletableFuture();
        assertThat(again).isNotDone();
        backend.pending.poll().complete(AcquireResult.acquired(2));
        assertThat(again.join()).isPresent();
    }
}
