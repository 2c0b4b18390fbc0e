package io.distlock.spi;

import io.distlock.LockHandle;
import io.distlock.LockLoss;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;

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

    final LockManagerCore manager;
    final String key;
    final String backendKey;
    final String owner;
    private final AtomicInteger state = new AtomicInteger(PENDING);
    private final CompletableFuture<LockLoss> lost = new CompletableFuture<>();
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
        state.set(HELD);
    }

    void setTimer(ScheduledFuture<?> timer) {
        this.timer = timer;
        if (state.get() != HELD) {
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
        return state.get() == HELD;
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
        return state.get() == HELD && manager.withinLease(this);
    }

    @Override
    public CompletionStage<LockLoss> lost() {
        return lost.minimalCompletionStage();
    }

    /** Moves HELD to LOST once and notifies; returns false if the handle was not held any more. */
    boolean markLost(LockLoss.Reason reason, Throwable cause) {
        if (!state.compareAndSet(HELD, LOST)) {
            return false;
        }
        cancelTimer();
        manager.forget(this);
        LockLoss loss = new LockLoss(key, fencingToken, reason, cause);
        manager.reportLoss(loss);
        lost.complete(loss);
        return true;
    }

    @Override
    public void close() {
        int previous;
        do {
            previous = state.get();
            if (previous == RELEASED) {
                return;
            }
        } while (!state.compareAndSet(previous, RELEASED));
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
        return "LockHandle[key='" + key + "', token=" + fencingToken + ", " + names[state.get()] + "]";
    }
}
