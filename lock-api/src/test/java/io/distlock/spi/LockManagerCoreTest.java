package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The core's waiting, interrupt and closing behaviour against scripted backends, counting what reaches them. */
class LockManagerCoreTest {

    /** A key held elsewhere forever; counts attempts; subscribe and acquire can be made to block. */
    private static class HeldElsewhere implements LockBackend {
        final AtomicInteger attempts = new AtomicInteger();
        final CountDownLatch closed = new CountDownLatch(1);
        volatile boolean blockSubscribe;
        volatile boolean blockAcquire;

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            attempts.incrementAndGet();
            if (blockAcquire) {
                await("acquiring " + key);
            }
            return AcquireResult.held();
        }

        /** Blocks until the backend is closed or the thread interrupted, then fails as a client would. */
        private void await(String what) {
            try {
                if (closed.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("client is shut down while " + what);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new LockBackendException(what + " gave up");
        }

        @Override
        public boolean release(String key, String owner) {
            return true;
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            return true;
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            if (blockSubscribe) {
                await("subscribing to " + key);
            }
            return () -> { };
        }

        @Override
        public void close() {
            closed.countDown();
        }
    }

    private static LockManager manager(LockBackend backend) {
        return LockManagerCore.create(backend, LockSettings.defaults().withOperationTimeout(Duration.ofMillis(300)));
    }

    @Test
    void twoWaitersOfOneManagerDoNotWakeEachOther() throws Exception {
        HeldElsewhere backend = new HeldElsewhere();
        try (LockManager manager = manager(backend)) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread thread = new Thread(() -> {
                    try {
                        manager.tryLock("k", Duration.ofMillis(700));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join(5_000);
            }
            // Each waiter tries on entry and at its one-second safety re-check at most; a ping-pong between the two
            // (each failed attempt waking the other) made hundreds of thousands.
            assertThat(backend.attempts.get()).isLessThanOrEqualTo(6);
        }
    }

    @Test
    void interruptWhileSubscribingIsAnInterruptNotAnOutage() throws Exception {
        HeldElsewhere backend = new HeldElsewhere();
        backend.blockSubscribe = true;
        try (LockManager manager = manager(backend)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread waiter = new Thread(() -> {
                try {
                    manager.tryLock("k", Duration.ofSeconds(5));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            waiter.start();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> waiter.getState() == Thread.State.TIMED_WAITING);
            waiter.interrupt();
            waiter.join(5_000);
            assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        }
    }

    @Test
    void anInterruptedThreadDoesNotStartWaiting() {
        HeldElsewhere backend = new HeldElsewhere();
        try (LockManager manager = manager(backend)) {
            Thread.currentThread().interrupt();
            assertThatThrownBy(() -> manager.tryLock("k", Duration.ofSeconds(1)))
                    .isInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).isFalse();
            assertThat(backend.attempts.get()).isZero();
        }
    }

    @Test
    void closingTheManagerUnderABackendCallIsNotAnOutage() throws Exception {
        HeldElsewhere backend = new HeldElsewhere();
        backend.blockAcquire = true;
        LockManager manager = manager(backend);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                manager.tryLock("k");
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        caller.start();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> backend.attempts.get() == 1);
        manager.close();
        caller.join(5_000);
        assertThat(thrown.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
