package io.distlock.local;

import io.distlock.LockBackendException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Simulated faults for local managers, so service code (and the TCK) can be tested for what happens when the lock
 * store is down or loses its data, without a server. Pass one to {@link LocalLockManager.Builder#faults(LocalFaults)}
 * of each manager that should see the faults.
 *
 * <p>During an {@linkplain #startOutage() outage} every backend call of those managers blocks for the manager's
 * operation timeout (or what is left of a bounded wait) and then throws {@link LockBackendException}, as a call to a
 * paused server does. As with a paused server, the writes that timed out were still "sent": when the outage
 * {@linkplain #endOutage() ends} they are applied in order, so an acquisition whose caller got an exception may
 * still take the key then, until the manager's compensating release gives it back. {@link #loseAllLocks()} forgets
 * every lock of the tables those managers use, as a store restarted without persistence would: holders find out at
 * their next renewal. {@link #deleteLock(String)} deletes one lock behind its holder's back.
 *
 * <p>Thread safe.
 */
public final class LocalFaults {

    private final Object sync = new Object();
    private volatile boolean outage;
    private volatile LocalLockTable table;
    /** Writes that timed out during the outage, applied when it ends; guarded by {@link #sync}. */
    private final List<Supplier<?>> delayed = new ArrayList<>();

    /** Creates faults that are off. */
    public LocalFaults() {
    }

    /** From now on, calls time out and throw {@link LockBackendException}. */
    public void startOutage() {
        outage = true;
    }

    /** Ends the outage: the writes that timed out during it are applied in order, then calls answer at once. */
    public void endOutage() {
        synchronized (sync) {
            outage = false;
            for (Supplier<?> write : delayed) {
                try {
                    write.get();
                } catch (RuntimeException e) {
                    // A late write that fails is lost, as on a real server; the rest still apply.
                }
            }
            delayed.clear();
        }
    }

    /** Forgets every lock in the table of the managers built with these faults. */
    public void loseAllLocks() {
        LocalLockTable t = table;
        if (t != null) {
            t.clear();
        }
    }

    /**
     * Deletes the lock of one key in the table of the managers built with these faults, as an operator or a clean-up
     * script would, while the table stays reachable; its holder finds out at its next renewal.
     *
     * @param key the key as stored, that is with the managers' key prefix
     * @return true if a lock was deleted
     * @throws NullPointerException if {@code key} is null
     */
    public boolean deleteLock(String key) {
        java.util.Objects.requireNonNull(key, "key must not be null");
        LocalLockTable t = table;
        return t != null && t.delete(key);
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
     * Runs {@code call} at once if there is no outage. During one, blocks until {@code deadlineNanos} (system clock)
     * and throws, unless the outage ends first; a write that timed out is kept and applied when the outage ends. An
     * interrupt ends the wait early only when {@code interruptible}: acquiring gives up, releasing and renewing must
     * not. The interrupt flag is always restored.
     */
    <T> T call(String what, String key, long deadlineNanos, boolean interruptible, boolean write, Supplier<T> call) {
        if (!outage) {
            return call.get();
        }
        boolean interrupted = false;
        // A real unreachable server keeps the caller waiting until its timeout; so do we.
        for (long left = deadlineNanos - System.nanoTime(); left > 0 && outage;
             left = deadlineNanos - System.nanoTime()) {
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
        synchronized (sync) {
            if (outage) {
                if (write) {
                    delayed.add(call);
                }
                throw new LockBackendException(what + " '" + key + "' on local table '" + table.name()
                        + (interrupted && interruptible ? "' interrupted" : "' timed out") + ": simulated outage");
            }
        }
        return call.get();
    }
}
