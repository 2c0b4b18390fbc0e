package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockNotAcquiredException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Waiting (clause 8): a bounded wait acquires soon after a release, gives up on time, and can be interrupted. The
 * waits here are long (the TCK's "soon"), so a waiter that is not woken by the release still passes only if it
 * re-checks on its own within that bound; the release happens after the waiter has started waiting.
 */
public abstract class WaitingTck extends AbstractTck {

    @Test
    @DisplayName("clause 8.1: a bounded wait acquires after another manager releases")
    void waitAcquiresAfterReleaseElsewhere() throws Exception {
        waitForRelease(newManager(), newManager(), "wait-elsewhere");
    }

    @Test
    @DisplayName("clause 8.2: a bounded wait acquires after a handle of the same manager is released")
    void waitAcquiresAfterReleaseOnSameManager() throws Exception {
        LockManager manager = newManager();
        waitForRelease(manager, manager, "wait-same");
    }

    private void waitForRelease(LockManager holderManager, LockManager waiterManager, String hint) throws Exception {
        String key = randomKey(hint);
        LockHandle holder = lockFree(holderManager, key, "8.1");
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<Optional<LockHandle>> result = new AtomicReference<>();
        Duration wait = soon().multipliedBy(2);
        Workers workers = new Workers("waiter").start(() -> {
            waiting.countDown();
            result.set(waiterManager.tryLock(key, wait));
        });
        assertThat(waiting.await(soon().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        holder.close();
        workers.join(wait.plus(soon()));
        assertThat(result.get()).as(clause("8.1", "a waiter on %s did not get the lock within %s after its release",
                key, wait)).isPresent();
        try (LockHandle acquired = result.get().get()) {
            assertThat(acquired.isHeld()).isTrue();
            assertThat(acquired.fencingToken()).as(clause("7.1", "token after a wait is not larger"))
                    .isGreaterThan(holder.fencingToken());
        }
    }

    @Test
    @DisplayName("clause 8.3: a bounded wait on a key that stays held gives up within the wait plus a margin")
    void waitGivesUpOnTime() throws Exception {
        LockManager holderManager = newManager();
        LockManager waiterManager = newManager();
        String key = randomKey("give-up");
        try (LockHandle held = lockFree(holderManager, key, "8.3")) {
            Duration wait = Duration.ofMillis(300);
            long start = System.nanoTime();
            Optional<LockHandle> result = waiterManager.tryLock(key, wait);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(result).as(clause("8.3", "a waiter got %s while it was held", key)).isEmpty();
            assertThat(took).as(clause("8.3", "gave up after %s for a wait of %s", took, wait))
                    .isGreaterThanOrEqualTo(wait)
                    .isLessThan(wait.plus(backend().settings().operationTimeout()).plusSeconds(1));
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    @DisplayName("clause 8.3: lock() throws LockNotAcquiredException carrying the key and the wait")
    void lockThrowsWithKeyAndWait() {
        LockManager holderManager = newManager();
        LockManager waiterManager = newManager();
        String key = randomKey("lock-throws");
        Duration wait = Duration.ofMillis(100);
        try (LockHandle held = lockFree(holderManager, key, "8.3")) {
            assertThatThrownBy(() -> waiterManager.lock(key, wait))
                    .as(clause("8.3", "lock() on held %s did not throw LockNotAcquiredException", key))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        assertThat(e.key()).isEqualTo(key);
                        assertThat(e.waited()).isEqualTo(wait);
                        assertThat(e.getMessage()).contains(key);
                    });
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    @DisplayName("clause 8.4: an interrupted waiter throws InterruptedException and holds nothing")
    void interruptedWaiterHoldsNothing() throws Exception {
        LockManager holderManager = newManager();
        LockManager waiterManager = newManager();
        String key = randomKey("interrupt");
        LockHandle held = lockFree(holderManager, key, "8.4");
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread waiter = new Thread(() -> {
            started.countDown();
            try {
                waiterManager.tryLock(key, soon().multipliedBy(10));
            } catch (InterruptedException e) {
                interrupted.set(true);
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "interrupted-waiter");
        waiter.start();
        assertThat(started.await(soon().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        try {
            awaitParked(waiter, thrown::get);
            waiter.interrupt();
            waiter.join(soon().toMillis());
            assertThat(waiter.isAlive()).as(clause("8.4", "interrupted waiter on %s kept waiting", key)).isFalse();
            assertThat(interrupted).as(clause("8.4", "waiter on %s did not throw InterruptedException", key)).isTrue();
        } finally {
            waiter.interrupt();
            held.close();
        }
        // The waiter holds nothing: the key is free for a third manager.
        lockFree(newManager(), key, "8.4").close();
    }

    @Test
    @DisplayName("clause 8.5: a zero wait is a single attempt")
    void zeroWaitIsOneAttempt() throws Exception {
        LockManager holderManager = newManager();
        LockManager other = newManager();
        String key = randomKey("zero-wait");
        try (LockHandle held = lockFree(holderManager, key, "8.5")) {
            assertThat(other.tryLock(key, Duration.ZERO)).as(clause("8.5", "zero wait got held %s", key)).isEmpty();
        }
        try (LockHandle free = other.tryLock(key, Duration.ZERO).orElseThrow(
                () -> new AssertionError(clause("8.5", "zero wait did not get free %s", key)))) {
            assertThat(free.isHeld()).isTrue();
        }
    }
}
