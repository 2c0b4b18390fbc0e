package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;

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
    @DisplayName("clause 9.1: tryLock during an outage throws LockBackendException within the timeout, never empty")
    void tryLockDuringOutageThrows() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager();
        String key = randomKey("outage");
        faults.startOutage();
        try {
            expectBackendException(() -> manager.tryLock(key), key, "tryLock");
        } finally {
            faults.endOutage();
        }
    }

    @Test
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
        try {
            Optional<LockHandle> result = call.call();
            result.ifPresent(LockHandle::close);
            fail(clause("9.1", "%s of %s returned %s during an outage instead of throwing LockBackendException",
                    what, key, result.isPresent() ? "a handle" : "empty (outage reported as contention)"));
        } catch (LockBackendException expected) {
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
