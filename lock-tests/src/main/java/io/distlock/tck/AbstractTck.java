package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What every TCK class shares: the backend under test, managers that are closed after each test, per-test random
 * keys, skipping with a reason, and messages that name the clause, the backend and what was observed. Every test is
 * bounded: a backend call that hangs fails the test (after three minutes at most, on a thread of its own, so even a
 * call that ignores interrupts cannot hang the build); tests that expect an answer in time bound it themselves.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class AbstractTck {

    private final List<LockManager> managers = new CopyOnWriteArrayList<>();

    /**
     * The backend under test; the same instance for every test of a run.
     *
     * @return the backend fixture
     */
    protected abstract TckBackend backend();

    /**
     * A new manager ("replica") with the backend's TCK settings; closed after the test.
     *
     * @return the new manager
     */
    protected LockManager newManager() {
        return newManager(backend().settings());
    }

    /**
     * A new manager with {@code settings}; closed after the test.
     *
     * @param settings the settings of the new manager
     * @return the new manager
     */
    protected LockManager newManager(LockSettings settings) {
        LockManager manager = backend().newManager(settings);
        managers.add(manager);
        return manager;
    }

    /**
     * Settings with the backend's short lease, for tests that wait for leases. With renewal on, the operation timeout
     * is cut to the renewal interval (a third of the lease) if it is longer: managers reject settings under which a
     * renewal that takes its whole timeout would confirm the lock after its lease.
     *
     * @param renewal whether handles are renewed
     * @return the settings
     */
    protected LockSettings shortLeaseSettings(boolean renewal) {
        LockSettings settings = backend().settings().withLease(backend().shortLease()).withRenewal(renewal);
        Duration interval = settings.lease().dividedBy(3);
        return renewal && settings.operationTimeout().compareTo(interval) > 0
                ? settings.withOperationTimeout(interval) : settings;
    }

    /**
     * Takes a key that must be free, or fails citing {@code clause}.
     *
     * @param manager the manager to lock with
     * @param key the key, which must be free
     * @param clause the clause the test verifies, for the message
     * @return the handle
     */
    protected LockHandle lockFree(LockManager manager, String key, String clause) {
        return manager.tryLock(key).orElseThrow(() -> new AssertionError(
                clause(clause, "the free key %s could not be locked", key)));
    }

    /**
     * Waits until {@code thread} is parked in a wait (it has passed its first attempt), failing with what it threw if
     * it ended instead.
     *
     * @param thread the thread that waits
     * @param thrown what the thread threw, or null while it runs
     */
    protected void awaitParked(Thread thread, java.util.function.Supplier<Throwable> thrown) {
        org.awaitility.Awaitility.await(thread.getName() + " parks in its wait").atMost(soon())
                .until(() -> !thread.isAlive() || thread.getState() == Thread.State.TIMED_WAITING
                        || thread.getState() == Thread.State.WAITING);
        if (!thread.isAlive()) {
            throw new AssertionError(thread.getName() + " ended before it waited", thrown.get());
        }
    }

    /**
     * Tries {@code key} on {@code manager} until it is free (a lease to run out, a store to notice a loss), failing
     * citing {@code clause} if it is not free within {@link #soon()}.
     *
     * @param manager the manager to lock with
     * @param key the key
     * @param clause the clause the test verifies, for the message
     * @param why what the key waits for, for the message
     * @return the handle, once the key was free
     */
    protected LockHandle awaitFree(LockManager manager, String key, String clause, String why) {
        // A poll that times out on a loaded machine is retried: this helper waits for a key, it does not test outages.
        return org.awaitility.Awaitility.await("clause " + clause + ": " + key + " " + why)
                .atMost(soon()).pollInterval(Duration.ofMillis(20)).ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
    }

    /**
     * Waits until {@code thread} is in the wait of a bounded {@code tryLock} after a failed attempt (its stack is in
     * the core's waiter), not merely blocked in a backend call, failing with what it threw if it ended instead.
     *
     * @param thread the waiting thread
     * @param thrown what the thread threw, or null while it runs
     */
    protected void awaitWaiting(Thread thread, java.util.function.Supplier<Throwable> thrown) {
        org.awaitility.Awaitility.await(thread.getName() + " waits for a release").atMost(soon())
                .pollInterval(Duration.ofMillis(5))
                .until(() -> !thread.isAlive() || inCoreWait(thread));
        if (!thread.isAlive()) {
            throw new AssertionError(thread.getName() + " ended before it waited", thrown.get());
        }
    }

    private static boolean inCoreWait(Thread thread) {
        if (thread.getState() != Thread.State.TIMED_WAITING && thread.getState() != Thread.State.WAITING) {
            return false;
        }
        for (StackTraceElement frame : thread.getStackTrace()) {
            if (frame.getClassName().equals("io.distlock.spi.Waiter") && frame.getMethodName().equals("await")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The JUnit tag of tests whose outcome depends on timing (a bound measured on a clock): rerun before blaming the
     * backend, and exclude with {@code -DexcludedGroups=stochastic} where only deterministic tests may run.
     */
    public static final String STOCHASTIC = "stochastic";

    /**
     * Waits at most {@code bound} for {@code handle}'s loss, failing citing {@code clause}: no test waits for a
     * {@code lost()} without a bound.
     *
     * @param handle the handle expected to be lost
     * @param bound how long to wait at most
     * @param clause the clause the test checks
     * @param why what the loss follows from, for the failure message
     * @return the loss
     */
    protected LockLoss awaitLoss(LockHandle handle, Duration bound, String clause, String why) {
        return org.awaitility.Awaitility.await("clause " + clause + ": loss of " + handle.key() + " " + why)
                .atMost(bound).pollInterval(Duration.ofMillis(10))
                .until(() -> handle.lost().toCompletableFuture().getNow(null), loss -> loss != null);
    }

    /**
     * A key no other test uses, with a readable hint of what the test does.
     *
     * @param hint a few words on what the test does
     * @return the key
     */
    protected static String randomKey(String hint) {
        return "tck:" + hint + ":" + UUID.randomUUID();
    }

    /**
     * Skips the test, reported with the backend's reason, if the backend lacks {@code capability}.
     *
     * @param capability what the test needs
     */
    protected void assumeCapability(TckBackend.Capability capability) {
        backend().lacks(capability).ifPresent(reason -> Assumptions.abort(
                backend().name() + " lacks " + capability + ": " + reason));
    }

    /**
     * The fault injector, or the test is skipped with a reason.
     *
     * @return the fault injector
     */
    protected TckBackend.Faults faults() {
        return backend().faults().orElseGet(() -> {
            Assumptions.abort(backend().name() + " has no fault injector, so this clause cannot be checked here");
            return null;
        });
    }

    /**
     * Deletes {@code key}'s lock behind its holder, or skips the test with the reason if the fixture cannot.
     *
     * @param faults the fault injector
     * @param key the user's key
     */
    protected void deleteLock(TckBackend.Faults faults, String key) {
        try {
            faults.deleteLock(key);
        } catch (UnsupportedOperationException e) {
            Assumptions.abort(backend().name() + " cannot delete one lock behind its holder: " + e.getMessage());
        }
    }

    /**
     * A failure message: "clause N on BACKEND: what was observed".
     *
     * @param clause the clause
     * @param observed what was observed, a {@link String#format} pattern
     * @param args the pattern's arguments
     * @return the message
     */
    protected String clause(String clause, String observed, Object... args) {
        return "clause " + clause + " on " + backend().name() + ": " + String.format(observed, args);
    }

    /**
     * Generous bound for things that must happen "soon", scaled from the backend's timing.
     *
     * @return the bound
     */
    protected Duration soon() {
        return backend().settings().operationTimeout().multipliedBy(3).plus(backend().shortLease().multipliedBy(4));
    }

    @AfterEach
    void closeManagers() {
        List<RuntimeException> failures = new ArrayList<>();
        for (LockManager manager : managers) {
            try {
                manager.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        managers.clear();
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("clause 11 on " + backend().name()
                    + ": closing a manager threw");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }
}
