package io.distlock.spi;

import io.distlock.LockHandle;
import io.distlock.LockLoss;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The handle {@link LockManagerCore} gives out. Its state only moves forward: PENDING (in the local table while the
 * backend is asked) to HELD, then to RELEASED or LOST, and LOST to RELEASED on close. Every transition is a CAS, so a
 * renewal racing with close() can never report a loss for a lock that was released on purpose (redisson #7272),
 * and the renewal tick skips every handle that is not HELD, so no renewal is sent after close().
 */
final class CoreLockHandle implements LockHandle {

    static final int PENDING = 0;
    static final int HELD = 1;
    static final int LOST = 2;
    static final int RELEASED = 3;

    private static final VarHandle STATE;
    // Release stores for what every confirmed renewal writes (thousands of handles a second at scale): readers
    // (isHeld, the tick) read the fields as volatile, so they see a renewal's deadline with everything before it, and
    // a plain ordered store costs a fraction of a volatile one's full fence. No reader needs more than that: a
    // deadline read a moment stale is at worst the previous, earlier deadline.
    private static final VarHandle RENEWED_AT;
    private static final VarHandle LEASE_DEADLINE;
    private static final VarHandle RENEWED_AT_SYSTEM;
    private static final VarHandle LEASE_DEADLINE_SYSTEM;
    private static final VarHandle RENEWING;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            STATE = lookup.findVarHandle(CoreLockHandle.class, "state", int.class);
            RENEWED_AT = lookup.findVarHandle(CoreLockHandle.class, "renewedAt", long.class);
            LEASE_DEADLINE = lookup.findVarHandle(CoreLockHandle.class, "leaseDeadline", long.class);
            RENEWED_AT_SYSTEM = lookup.findVarHandle(CoreLockHandle.class, "renewedAtSystem", long.class);
            LEASE_DEADLINE_SYSTEM = lookup.findVarHandle(CoreLockHandle.class, "leaseDeadlineSystem", long.class);
            RENEWING = lookup.findVarHandle(CoreLockHandle.class, "renewing", boolean.class);
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
    /** Ticker time at which the acquisition was sent, for the hold time the listeners get. */
    private volatile long acquiredAt;
    /** Ticker time at which the last confirmed acquisition or renewal was sent. */
    private volatile long renewedAt;
    /** The same two instants on the system clock, which a remote store's expiry follows whatever the ticker says. */
    private volatile long leaseDeadlineSystem;
    private volatile long renewedAtSystem;
    /** Set by the renewal tick while a batch with this handle is at the backend; no second renewal is sent then. */
    volatile boolean renewing;
    /** Why the last renewal failed, for the loss report if the lease runs out; null after a successful one. */
    volatile Throwable renewalFailure;
    /**
     * The backend's renewal of this lock ({@link LockBackend#renewal}), made at its first renewal and reused at every
     * later one. Only touched by the renewal thread sending a batch with this handle, which {@link #renewing}
     * serialises.
     */
    Renewal renewal;

    CoreLockHandle(LockManagerCore manager, String key, String backendKey, String owner) {
        this.manager = manager;
        this.key = key;
        this.backendKey = backendKey;
        this.owner = owner;
    }

    /** PENDING to HELD; false if close() got there first (the manager closed during the attempt). */
    boolean activate(long token, long sentAt, long sentAtSystem, long leaseNanos) {
        this.fencingToken = token;
        this.acquiredAt = sentAt;
        renewed(sentAt, sentAtSystem, leaseNanos);
        return STATE.compareAndSet(this, PENDING, HELD);
    }

    long leaseDeadline() {
        return leaseDeadline;
    }

    long acquiredAt() {
        return acquiredAt;
    }

    long renewedAt() {
        return renewedAt;
    }

    long leaseDeadlineSystem() {
        return leaseDeadlineSystem;
    }

    long renewedAtSystem() {
        return renewedAtSystem;
    }

    /** Records a confirmed acquisition or renewal sent at these instants (ticker and system clock). */
    void renewed(long sentAt, long sentAtSystem, long leaseNanos) {
        RENEWED_AT.setRelease(this, sentAt);
        RENEWED_AT_SYSTEM.setRelease(this, sentAtSystem);
        LEASE_DEADLINE_SYSTEM.setRelease(this, sentAtSystem + leaseNanos);
        LEASE_DEADLINE.setRelease(this, sentAt + leaseNanos);
        if (renewalFailure != null) {
            renewalFailure = null;
        }
    }

    /** Marks this handle as in a renewal batch (by the tick, which hands the batch on through a queue). */
    void renewalStarted() {
        RENEWING.setRelease(this, true);
    }

    /** The renewal of this handle is over (answered or given up); the tick may send the next one. */
    void renewalOver() {
        RENEWING.setRelease(this, false);
    }

    boolean isLost() {
        return state == LOST;
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
        manager.forget(this);
        LockLoss event = new LockLoss(key, fencingToken, reason, cause);
        manager.reportLoss(this, event);
        CompletableFuture<LockLoss> future;
        synchronized (this) {
            loss = event;
            future = lost;
        }
        // Completed outside the monitor and on the loss executor: dependents must not be able to block lost()
        // callers, the renewal tick or other handles' loss reports.
        if (future != null) {
            manager.completeLoss(future, event);
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
        if (previous == HELD) {
            try {
                manager.releaseRemote(this);
            } finally {
                manager.forget(this);
                manager.reportRelease(this);
            }
        }
    }

    @Override
    public String toString() {
        String[] names = {"pending", "held", "lost", "released"};
        return "LockHandle[key='" + key + "', token=" + fencingToken + ", " + names[state] + "]";
    }
}
