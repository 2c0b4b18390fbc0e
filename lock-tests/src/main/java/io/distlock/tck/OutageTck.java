package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;

/**
 * Outage is not contention (clause 9): while the backend cannot answer, calls throw {@link LockBackendException}
 * within the operation timeout (plus a margin for a loaded machine), never return empty and never hang; closing a
 * handle never throws; once the backend is back, locks work again.
 */
public abstract class OutageTck extends AbstractTck {

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 9.1, 9.3, 9.5: tryLock during an outage throws LockBackendException within the timeout, "
            + "never empty; with a 30 s lease, another manager gets the key within 2 s (plus a timeout) after the "
            + "store resumes, and then the same manager gets it again")
    void tryLockDuringOutageThrows() {
        TckBackend.Faults faults = faults();
        Duration lease = Duration.ofSeconds(30);
        LockManager manager = newManager(backend().settings().withLease(lease));
        LockManager other = newManager();
        String key = randomKey("outage");
        faults.startOutage();
        try {
            // The store may still run this acquisition when it resumes (a paused server works off its backlog).
            expectBackendException(() -> manager.tryLock(key), key, "tryLock");
        } finally {
            faults.endOutage();
        }
        long resumedAt = System.nanoTime();
        Duration bound = Duration.ofSeconds(2).plus(backend().settings().operationTimeout());
        LockHandle next = org.awaitility.Awaitility.await("clause 9.5: " + key + " free soon after the outage, "
                        + "although the failed acquisition's lease is " + lease)
                .atMost(bound).pollInterval(Duration.ofMillis(20)).ignoreException(LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        Duration took = Duration.ofNanos(System.nanoTime() - resumedAt);
        next.close();
        assertThat(took).as(clause("9.5", "%s was taken %s after the outage", key, took)).isLessThan(bound);
        // A failed attempt must not stay in the manager's table of held keys, where it would answer "held" with no
        // network call for the life of the manager.
        LockHandle again = awaitFree(manager, key, "9.3", "lockable by the same manager after the outage");
        again.close();
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 9.2: a bounded wait during an outage throws LockBackendException, never empty")
    void waitDuringOutageThrows() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager();
        String key = randomKey("outage-wait");
        faults.startOutage();
        try {
            expectBackendException(() -> manager.tryLock(key, Duration.ofMillis(500)), key, "tryLock(wait)");
        } finally {
            faults.endOutage();
        }
    }

    @Test
    @DisplayName("clause 9.3, 4.2: close during an outage does not throw, and locks work again after the outage")
    void recoversAfterOutage() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager();
        String key = randomKey("recover");
        LockHandle held = lockFree(manager, key, "9.3");
        faults.startOutage();
        try {
            assertThatCode(held::close).as(clause("4.2", "close of %s threw during an outage", key))
                    .doesNotThrowAnyException();
        } finally {
            faults.endOutage();
        }
        String fresh = randomKey("after-outage");
        LockHandle again = org.awaitility.Awaitility.await("clause 9.3: locks work after the outage")
                .atMost(soon().multipliedBy(2)).ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(fresh).orElse(null), h -> h != null);
        again.close();
    }

    private void expectBackendException(ThrowingCall call, String key, String what) {
        Duration timeout = backend().settings().operationTimeout();
        Duration bound = timeout.multipliedBy(2).plusSeconds(2);
        long start = System.nanoTime();
        // On a thread of its own, so a call that hangs fails here instead of hanging the kit (clause 9.1).
        CompletableFuture<Optional<LockHandle>> answer = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            try {
                answer.complete(call.call());
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        }, "outage-" + what);
        caller.setDaemon(true);
        caller.start();
        try {
            Optional<LockHandle> result = answer.get(bound.plus(soon()).toMillis(), TimeUnit.MILLISECONDS);
            result.ifPresent(LockHandle::close);
            fail(clause("9.1", "%s of %s returned %s during an outage instead of throwing LockBackendException",
                    what, key, result.isPresent() ? "a handle" : "empty (outage reported as contention)"));
        } catch (java.util.concurrent.TimeoutException e) {
            caller.interrupt();
            fail(clause("9.1", "%s of %s hung during an outage: no answer after %s (operation timeout %s)", what, key,
                    bound.plus(soon()), timeout));
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof LockBackendException expected)) {
                throw new AssertionError(clause("9.1", "%s of %s threw %s during an outage, not LockBackendException",
                        what, key, e.getCause()), e.getCause());
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as(clause("9.1", "%s of %s threw after %s, operation timeout %s", what, key, took,
                    timeout)).isLessThan(bound);
            assertThat(expected.getMessage()).as(clause("9.1", "the message should name the key")).contains(key);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted", e);
        }
    }

    @FunctionalInterface
    private interface ThrowingCall {
        Optional<LockHandle> call() throws InterruptedException;
    }
}
