package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Closing a manager (clause 11): it releases its handles, refuses further use, and ends waiting calls. */
public abstract class ManagerLifecycleTck extends AbstractTck {

    @Test
    @DisplayName("clause 11.1, 6.4: closing a manager releases every handle it still holds; none is reported lost or "
            + "renewed afterwards")
    void closeReleasesHandles() {
        // A short lease, so renewals are frequent and one can be due or in flight when the manager closes.
        LockManager closing = newManager(shortLeaseSettings(true));
        LockManager other = newManager();
        String first = randomKey("manager-close-1");
        String second = randomKey("manager-close-2");
        LockHandle a = lockFree(closing, first, "11.1");
        LockHandle b = lockFree(closing, second, "11.1");
        closing.close();
        assertThat(a.isHeld() || b.isHeld()).as(clause("11.1", "handles report held after their manager closed"))
                .isFalse();
        lockFree(other, first, "11.1").close();
        lockFree(other, second, "11.1").close();
        // Late races show up late: for a lease after close neither key is taken again and neither handle is lost.
        Duration lease = backend().shortLease();
        org.awaitility.Awaitility.await("clause 11.1, 6.4: keys stay free and not lost for a lease after close")
                .during(lease).atMost(soon().plus(lease.multipliedBy(2))).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    boolean free = true;
                    for (String key : new String[] {first, second}) {
                        java.util.Optional<LockHandle> probe = other.tryLock(key);
                        probe.ifPresent(LockHandle::close);
                        free &= probe.isPresent();
                    }
                    return free && !a.lost().toCompletableFuture().isDone() && !b.lost().toCompletableFuture().isDone();
                });
        assertThatCode(a::close).doesNotThrowAnyException();
    }

    @Test
    @DisplayName("clause 11.2: a closed manager refuses use with IllegalStateException; close is idempotent")
    void closedManagerRefusesUse() {
        LockManager manager = newManager();
        manager.close();
        assertThatCode(manager::close).as(clause("11.2", "second close threw")).doesNotThrowAnyException();
        String key = randomKey("closed");
        assertThatThrownBy(() -> manager.tryLock(key)).as(clause("11.2", "tryLock on a closed manager"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> manager.tryLock(key, Duration.ofSeconds(1)))
                .as(clause("11.2", "tryLock(wait) on a closed manager")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> manager.lock(key, Duration.ofSeconds(1)))
                .as(clause("11.2", "lock on a closed manager")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("clause 11.3: a call waiting on a manager that is closed ends with IllegalStateException")
    void closeEndsWaiters() throws Exception {
        LockManager holder = newManager();
        LockManager waiting = newManager();
        String key = randomKey("close-waiter");
        try (LockHandle held = lockFree(holder, key, "11.3")) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            Thread waiter = new Thread(() -> {
                started.countDown();
                try {
                    waiting.tryLock(key, soon().multipliedBy(10));
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            waiter.start();
            assertThat(started.await(soon().toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            awaitWaiting(waiter, thrown::get);
            waiting.close();
            waiter.join(soon().toMillis());
            assertThat(waiter.isAlive()).as(clause("11.3", "a waiter on %s kept waiting after close", key)).isFalse();
            assertThat(thrown.get()).as(clause("11.3", "the waiter on %s did not end with IllegalStateException", key))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(held.isHeld()).isTrue();
        }
    }
}
