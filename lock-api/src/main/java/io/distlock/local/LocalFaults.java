package io.distlock.local;

import io.distlock.LockBackendException;

/**
 * Simulated faults for local managers, so service code (and the TCK) can be tested for what happens when the lock
 * store is down or loses its data, without a server. Pass one to {@link LocalLockManager.Builder#faults(LocalFaults)}
 * of each manager that should see the faults.
 *
 * <p>During an {@linkplain #startOutage() outage} every backend call of those managers blocks for the manager's
 * operation timeout and then throws {@link LockBackendException}, as a call to an unreachable server does.
 * {@link #loseAllLocks()} forgets every lock of the tables those managers use, as a store restarted without
 * persistence would: holders find out at their next renewal.
 *
 * <p>Thread safe.
 */
public final class LocalFaults {

    private volatile boolean outage;
    private volatile LocalLockTable table;

    /** From now on, calls time out and throw {@link LockBackendException}. */
    public void startOutage() {
        outage = true;
    }

    /** Ends the outage; calls answer again at once. */
    public void endOutage() {
        outage = false;
    }

    /** Forgets every lock in the table of the managers built with these faults. */
    public void loseAllLocks() {
        LocalLockTable t = table;
        if (t != null) {
            t.clear();
        }
    }

    void attach(LocalLockTable table) {
        LocalLockTable current = this.table;
        if (current != null && !current.name().equals(table.name())) {
            throw new IllegalArgumentException("one LocalFaults serves the managers of one table, already '"
                    + current.name() + "', not '" + table.name() + "'");
        }
        // A table is dropped when its last manager closes and made anew by the next: follow the newest.
        this.table = table;
    }

    /**
     * Blocks for {@code timeoutNanos} and throws while an outage lasts; returns at once otherwise. An interrupt ends
     * the wait early only when {@code interruptible}: acquiring gives up, releasing and renewing must not.
     */
    void check(String what, String key, long timeoutNanos, boolean interruptible) {
        if (!outage) {
            return;
        }
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        // A real unreachable server keeps the caller waiting until its timeout; so do we. The interrupt flag is
        // always restored.
        for (long left = timeoutNanos; left > 0 && outage; left = deadline - System.nanoTime()) {
            try {
                Thread.sleep(Math.min(left / 1_000_000 + 1, 20));
            } catch (InterruptedException e) {
                interrupted = true;
                if (interruptible) {
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (outage) {
            throw new LockBackendException(what + " '" + key + "' on local table '" + table.name()
                    + (interrupted && interruptible ? "' interrupted" : "' timed out") + ": simulated outage");
        }
    }
}
