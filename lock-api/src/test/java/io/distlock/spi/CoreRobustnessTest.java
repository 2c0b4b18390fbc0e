package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Nothing a backend throws or answers may poison a key, stop renewals or be read as "held": scripted backends throw
 * errors, sneaky checked exceptions and nulls, and the core must map them, clean up and keep renewing.
 */
class CoreRobustnessTest {

    /** A one-map store in this object; each call can be scripted to misbehave. */
    static class ScriptedBackend implements LockBackend {
        final ConcurrentHashMap<String, String> owners = new ConcurrentHashMap<>();
        final AtomicInteger acquires = new AtomicInteger();
        final ConcurrentHashMap<String, AtomicInteger> renewals = new ConcurrentHashMap<>();
        final List<String> releasedOwners = new CopyOnWriteArrayList<>();
        volatile Function<String, Object> onAcquire = key -> null;
        volatile Function<String, Object> onRenew = key -> null;

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            acquires.incrementAndGet();
            Object scripted = onAcquire.apply(key);
            if (scripted instanceof Throwable t) {
                throw CoreRobustnessTest.<RuntimeException>sneaky(t);
            }
            if ("null".equals(scripted)) {
                return null;
            }
            if ("ghost".equals(scripted)) {
                // The store applied the acquisition, but its answer never arrived.
                owners.put(key, owner);
                throw new LockBackendException("acquiring '" + key + "' timed out");
            }
            return owners.putIfAbsent(key, owner) == null ? AcquireResult.acquired(acquires.get())
                    : AcquireResult.held();
        }

        @Override
        public boolean release(String key, String owner) {
            releasedOwners.add(owner);
            return owners.remove(key, owner);
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            renewals.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            Object scripted = onRenew.apply(key);
            if (scripted instanceof Throwable t) {
                throw CoreRobustnessTest.<RuntimeException>sneaky(t);
            }
            return owner.equals(owners.get(key));
        }

        int renewalsOf(String key) {
            AtomicInteger n = renewals.get(key);
            return n == null ? 0 : n.get();
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            return () -> { };
        }

        @Override
        public void close() {
        }
    }

    @SuppressWarnings("unchecked")
    static <T extends Throwable> T sneaky(Throwable t) throws T {
        throw (T) t;
    }

    private static final LockSettings FAST = LockSettings.defaults().withLease(Duration.ofMillis(600))
            .withOperationTimeout(Duration.ofMillis(100));

    @Test
    void errorFromAcquireIsAnOutageAndDoesNotPoisonTheKey() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onAcquire = key -> new NoClassDefFoundError("io/netty/Missing");
        try (LockManager manager = LockManagerCore.create(backend, FAST)) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("'k'").hasRootCauseInstanceOf(NoClassDefFoundError.class);
            backend.onAcquire = key -> null;
            // The next call reaches the backend and gets the key: it was not left "held" in the local table.
            try (LockHandle handle = manager.tryLock("k").orElseThrow()) {
                assertThat(handle.isHeld()).isTrue();
            }
            assertThat(backend.acquires.get()).isEqualTo(2);
        }
    }

    @Test
    void sneakyCheckedExceptionFromAcquireIsAnOutage() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onAcquire = key -> new java.io.IOException("connection reset");
        try (LockManager manager = LockManagerCore.create(backend, FAST)) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class)
                    .hasCauseInstanceOf(java.io.IOException.class);
            backend.onAcquire = key -> null;
            manager.tryLock("k").orElseThrow().close();
        }
    }

    @Test
    void fatalErrorIsRethrownButDoesNotPoisonTheKey() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onAcquire = key -> new OutOfMemoryError("simulated");
        try (LockManager manager = LockManagerCore.create(backend, FAST)) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(OutOfMemoryError.class);
            backend.onAcquire = key -> null;
            manager.tryLock("k").orElseThrow().close();
        }
    }

    @Test
    void nullReplyIsAnOutageNotHeld() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onAcquire = key -> "null";
        try (LockManager manager = LockManagerCore.create(backend, FAST)) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("'k'").hasMessageContaining("null");
            backend.onAcquire = key -> null;
            manager.tryLock("k").orElseThrow().close();
        }
    }

    @Test
    void errorFromOneRenewalDoesNotStopTheOthers() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onRenew = key -> key.equals("bad") ? new LinkageError("simulated") : null;
        try (LockManager manager = LockManagerCore.create(backend, FAST)) {
            LockHandle bad = manager.tryLock("bad").orElseThrow();
            LockHandle good = manager.tryLock("good").orElseThrow();
            // The bad handle cannot be renewed: it is reported lost when its lease has run out, never silently.
            LockLoss loss = Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> bad.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
            assertThat(loss.cause()).isInstanceOf(LinkageError.class);
            int before = backend.renewalsOf("good");
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.renewalsOf("good") >= before + 3);
            assertThat(good.isHeld()).isTrue();
            good.close();
        }
    }

    @Test
    void lossCallbacksRunOnTheLossExecutorAndCannotStallOtherLosses() throws Exception {
        ScriptedBackend backend = new ScriptedBackend();
        java.util.concurrent.ExecutorService callbacks = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "loss-callbacks");
            thread.setDaemon(true);
            return thread;
        });
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        try (LockManager manager = LockManagerCore.create(backend, FAST.withLossExecutor(callbacks))) {
            LockHandle slow = manager.tryLock("slow").orElseThrow();
            LockHandle failing = manager.tryLock("failing").orElseThrow();
            LockHandle other = manager.tryLock("other").orElseThrow();
            List<String> threads = new CopyOnWriteArrayList<>();
            slow.lost().thenRun(() -> {
                threads.add(Thread.currentThread().getName());
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            failing.lost().thenRun(() -> {
                throw new IllegalStateException("a callback that fails");
            });
            backend.owners.clear();
            // Every loss is reported although one callback blocks for ever and another throws.
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> other.lost().toCompletableFuture().isDone()
                    && failing.lost().toCompletableFuture().isDone() && !threads.isEmpty());
            assertThat(threads).containsOnly("loss-callbacks");
            // And renewals go on: a new lock is still renewed.
            LockHandle fresh = manager.tryLock("fresh").orElseThrow();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.renewalsOf("fresh") >= 2);
            assertThat(fresh.isHeld()).isTrue();
        } finally {
            never.countDown();
            callbacks.shutdownNow();
        }
    }

    @Test
    void aLeaseThatCannotOutliveItsRenewalTimeoutIsRejected() {
        ScriptedBackend backend = new ScriptedBackend();
        LockSettings broken = LockSettings.defaults().withLease(Duration.ofSeconds(1))
                .withOperationTimeout(Duration.ofSeconds(3));
        assertThatThrownBy(() -> LockManagerCore.create(backend, broken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout 3s").hasMessageContaining("lease 1s");
        // Fixed-lease mode renews nothing, so there is nothing to break.
        LockManagerCore.create(backend, broken.withRenewal(false)).close();
    }

    @Test
    void aFrozenTickerDoesNotStopRenewalsOnARemoteStore() {
        ScriptedBackend backend = new ScriptedBackend();
        AtomicLong frozen = new AtomicLong(42);
        try (LockManager manager = LockManagerCore.create(backend, FAST.withTicker(frozen::get))) {
            LockHandle handle = manager.tryLock("k").orElseThrow();
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.renewalsOf("k") >= 2);
            handle.close();
        }
    }

    @Test
    void aFrozenTickerCannotKeepALockHeldThatTheStoreCouldNotRenew() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onRenew = key -> new LockBackendException("unreachable");
        AtomicLong frozen = new AtomicLong(42);
        try (LockManager manager = LockManagerCore.create(backend, FAST.withTicker(frozen::get))) {
            LockHandle handle = manager.tryLock("k").orElseThrow();
            // The store's lease ran out on its own clock: isHeld() follows it although the ticker never moved.
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !handle.isHeld());
            LockLoss loss = Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> handle.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
        }
    }

    @Test
    void anAmbiguousAcquisitionIsReleasedLater() {
        ScriptedBackend backend = new ScriptedBackend();
        backend.onAcquire = key -> "ghost";
        try (LockManager manager = LockManagerCore.create(backend, LockSettings.defaults())) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class);
            assertThat(backend.owners).containsKey("k");
            // Without blocking the caller, the core releases what the store may have granted.
            Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> !backend.owners.containsKey("k"));
        }
    }

    @Test
    void aBoundedWaitPassesItsRemainingTimeToTheBackend() throws Exception {
        Set<Long> budgets = ConcurrentHashMap.newKeySet();
        ScriptedBackend backend = new ScriptedBackend() {
            @Override
            public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
                budgets.add((deadlineNanos - System.nanoTime()) / 1_000_000);
                return AcquireResult.heldFor(Duration.ofMillis(40));
            }
        };
        try (LockManager manager = LockManagerCore.create(backend, LockSettings.defaults())) {
            long start = System.nanoTime();
            assertThat(manager.tryLock("k", Duration.ofMillis(300))).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
        }
        // The first attempt gets a whole operation timeout (3 s); later ones at most what is left of the 300 ms wait.
        assertThat(budgets).anyMatch(ms -> ms > 2_000);
        assertThat(budgets.stream().filter(ms -> ms <= 2_000)).isNotEmpty().allMatch(ms -> ms <= 300);
    }

    @Test
    void aLaterCallThatRunsOutOfTheRestOfTheWaitEndsItEmpty() throws Exception {
        AtomicInteger blocking = new AtomicInteger();
        try (LockManager manager = LockManagerCore.create(slowAfterFirstCall(blocking), LockSettings.defaults())) {
            assertThat(manager.tryLock("k", Duration.ofMillis(100))).isEmpty();
        }
        assertThat(blocking.get()).isGreaterThan(1);
        AtomicInteger async = new AtomicInteger();
        try (LockManager manager = LockManagerCore.create(slowAfterFirstCall(async), LockSettings.defaults())) {
            assertThat(manager.tryLockAsync("k", Duration.ofMillis(100)).toCompletableFuture().get(5, TimeUnit.SECONDS))
                    .isEmpty();
        }
        assertThat(async.get()).isGreaterThan(1);
    }

    /** A store that answers "held" once, then is too slow for what is left of a wait. */
    private static ScriptedBackend slowAfterFirstCall(AtomicInteger calls) {
        return new ScriptedBackend() {
            @Override
            public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
                if (calls.incrementAndGet() == 1) {
                    return AcquireResult.heldFor(Duration.ofMillis(20));
                }
                LockSupport.parkNanos(Math.max(0, deadlineNanos - System.nanoTime()));
                throw new LockBackendException("timed out");
            }
        };
    }

    @Test
    void aLaterCallThatFailsBeforeItsTimeIsUpIsAnOutage() {
        AtomicInteger calls = new AtomicInteger();
        ScriptedBackend backend = new ScriptedBackend() {
            @Override
            public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
                if (calls.incrementAndGet() == 1) {
                    return AcquireResult.heldFor(Duration.ofMillis(20));
                }
                throw new LockBackendException("connection refused");
            }
        };
        try (LockManager manager = LockManagerCore.create(backend, LockSettings.defaults())) {
            assertThatThrownBy(() -> manager.tryLock("k", Duration.ofSeconds(2)))
                    .isInstanceOf(LockBackendException.class);
        }
    }
}
