package io.distlock.spi;

import io.distlock.LockHandle;
import io.distlock.LockLoss;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;

/**
 * The handle {@link LockManagerCore} gives out. Its state only moves forward: PENDING (in the local table while the
 * backend is asked) to HELD, then to RELEASED or LOST, and LOST to RELEASED on close. Every transition is a CAS, so a
 * renewal racing with close() can never report a loss for a lock that was released on purpose (redisson #7272).
 */
final class CoreLockHandle implements LockHandle {

    static final int PENDING = 0;
    static final int HELD = 1;
    static final int LOST = 2;
    static final int RELEASED = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(CoreLockHandle.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final LockManagerCore manager;
    final String key;
    final String backendKey;
    final String owner;
    // A VarHandle on a plain field and a lazily made future keep a failed attempt down to two small allocations.
    private volatile int state = PENDING;
    private CompletableFuture<LockLoss> lost;
    private LockLoss loss;
    /** A loss the backend reported while the acquisition was still being answered; see {@link #markLost}. */
    private volatile LockLoss earlyLoss;
    private volatile long fencingToken;
    /** Ticker time at which the lease ends unless renewed; only read when the backend uses leases. */
    private volatile long leaseDeadline;
    private volatile ScheduledFuture<?> timer;

    CoreLockHandle(LockManagerCore manager, String key, String backendKey, String owner) {
        this.manager = manager;
        this.key = key;
        this.backendKey = backendKey;
        this.owner = owner;
    }

    void activate(long token, long leaseDeadline) {
        this.fencingToken = token;
        this.leaseDeadline = leaseDeadline;
        state = HELD;
    }

    void setTimer(ScheduledFuture<?> timer) {
        this.timer = timer;
        if (state != HELD) {
            // close() or a loss got in before the timer was stored: it must not keep renewing.
            timer.cancel(false);
        }
    }

    long leaseDeadline() {
        return leaseDeadline;
    }

    void extendLease(long leaseDeadline) {
        this.leaseDeadline = leaseDeadline;
    }

    boolean isActive() {
        return state == HELD;
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public boolean isHeld() {
        return state == HELD && manager.withinLease(this);
    }

    @Override
    public CompletionStage<LockLoss> lost() {
        CompletableFuture<LockLoss> future;
        synchronized (this) {
            if (lost == null) {
                lost = new CompletableFuture<>();
                if (loss != null) {
                    lost.complete(loss);
                }
            }
            future = lost;
        }
        return future.minimalCompletionStage();
    }

    LockLoss earlyLoss() {
        return earlyLoss;
    }

    /**
     * Moves HELD to LOST once and notifies; returns false if the handle was not held any more. A loss reported while
     * the handle is still PENDING (a session lost between the store's answer and activation) is remembered, and the
     * acquisition then fails: written before the state is read again, so either the acquiring thread sees it after
     * activating, or this call sees HELD and takes the normal path.
     */
    boolean markLost(LockLoss.Reason reason, Throwable cause) {
        if (state == PENDING) {
            earlyLoss = new LockLoss(key, fencingToken, reason, cause);
            if (state == PENDING) {
                return false;
            }
        }
        if (!STATE.compareAndSet(this, HELD, LOST)) {
            return false;
        }
        cancelTimer();
        manager.forget(this);
        LockLoss event = new LockLoss(key, fencingToken, reason, cause);
        manager.reportLoss(event);
        CompletableFuture<LockLoss> future;
        synchronized (this) {
            loss = event;
            future = lost;
        }
        // Completed outside the monitor: dependents run here and must not be able to block lost() callers.
        if (future != null) {
            future.complete(event);
        }
        return true;
    }

    @Override
    public void close() {
        int previous;
        do {
            previous = state;
            if (previous == RELEASED) {
                return;
            }
        } while (!STATE.compareAndSet(this, previous, RELEASED));
        cancelTimer();
        if (previous == HELD) {
            try {
                manager.releaseRemote(this);
            } finally {
                manager.forget(this);
            }
        }
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public String toString() {
        String[] names = {"pending", "held", "lost", "released"};
        return "LockHandle[key='" + key + "', token=" + fencingToken + ", " + names[state] + "]";
    }
}
