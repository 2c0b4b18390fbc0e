package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockNotAcquiredException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Waiting (clause 8): a bounded wait acquires soon after a release, gives up on time, and can be interrupted. The
 * holder's lease is the default (30 s, far away) and the release happens only once the waiter is parked in its wait
 * after a failed attempt, so a waiter can only acquire in time if the release woke it: the core's safety re-check
 * comes a second later, and the bound here is half of that.
 */
public abstract class WaitingTck extends AbstractTck {

    /** Well below the core's one-second re-check, so a waiter that was not woken by the release fails. */
    static final Duration WAKE_UP_BOUND = Duration.ofMillis(500);

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 8.1: a bounded wait is woken by another manager's release, well before any re-check "
            + "(stochastic: timed)")
    void waitAcquiresAfterReleaseElsewhere() throws Exception {
        waitForRelease(newManager(), newManager(), "wait-elsewhere", "8.1");
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 8.2: a bounded wait is woken by the release of a handle of the same manager, well before any "
            + "re-check (stochastic: timed)")
    void waitAcquiresAfterReleaseOnSameManager() throws Exception {
        LockManager manager = newManager();
        waitForRelease(manager, manager, "wait-same", "8.2");
    }

    private void waitForRelease(LockManager holderManager, LockManager waiterManager, String hint, String clause)
            throws Exception {
        String key = randomKey(hint);
        LockHandle holder = lockFree(holderManager, key, clause);
        AtomicReference<Optional<LockHandle>> result = new AtomicReference<>();
        AtomicLong acquiredAt = new AtomicLong();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Duration wait = soon().multipliedBy(2);
        Thread waiter = new Thread(() -> {
            try {
                result.set(waiterManager.tryLock(key, wait));
                acquiredAt.set(System.nanoTime());
            } catch (Throwable t) {
                thrown.set(t);
            }
        }, "waiter-" + hint);
        waiter.setDaemon(true);
        waiter.start();
        awaitWaiting(waiter, thrown::get);
        holder.close();
        long releasedAt = System.nanoTime();
        waiter.join(wait.plus(soon()).toMillis());
        assertThat(waiter.isAlive()).as(clause(clause, "a waiter on %s was still waiting %s after its wait of %s",
                key, soon(), wait)).isFalse();
        if (thrown.get() != null) {
            throw new AssertionError(clause(clause, "the waiter on %s threw", key), thrown.get());
        }
        assertThat(result.get()).as(clause(clause, "a waiter on %s did not get the lock within %s after its release",
                key, wait)).isPresent();
        Duration woken = Duration.ofNanos(acquiredAt.get() - releasedAt);
        assertThat(woken).as(clause(clause, "a waiter on %s acquired %s after the release (holder's lease %s away): "
                + "not woken by the release notification", key, woken, backend().settings().lease()))
                .isLessThan(WAKE_UP_BOUND);
        try (LockHandle acquired = result.get().get()) {
            assertThat(acquired.isHeld()).isTrue();
            assertThat(acquired.fencingToken()).as(clause("7.1", "token after a wait is not larger"))
                    .isGreaterThan(holder.fencingToken());
        }
    }

    @Test
    @Tag(STOCHASTIC)
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
            awaitWaiting(waiter, thrown::get);
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
