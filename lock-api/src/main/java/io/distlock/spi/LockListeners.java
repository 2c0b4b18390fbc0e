package io.distlock.spi;

import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockLoss;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The listeners of one manager, each call guarded so that a listener that throws never changes a lock's outcome
 * or stops the others. Failures are logged at warn the first time and then at most once a minute per listener.
 */
final class LockListeners {

    private static final Logger log = LoggerFactory.getLogger(LockListeners.class);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Guarded[] listeners;

    private LockListeners(List<Guarded> listeners) {
        this.listeners = listeners.toArray(Guarded[]::new);
    }

    /**
     * Tells each listener that a manager on {@code backend} opened, and returns the dispatcher for those that did not
     * refuse it by throwing, or null if none is left, so the manager skips even the timing.
     */
    static LockListeners open(List<LockListener> listeners, String backend) {
        List<Guarded> accepted = new ArrayList<>(listeners.size());
        for (LockListener listener : listeners) {
            try {
                listener.opened(backend);
                accepted.add(new Guarded(listener));
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                log.warn("lock listener {} refused the {} lock manager and gets no events from it", listener,
                        backend, e);
            }
        }
        return accepted.isEmpty() ? null : new LockListeners(accepted);
    }

    void acquired(LockHandle handle, long waitedNanos) {
        for (Guarded g : listeners) {
            try {
                g.listener.acquired(handle, waitedNanos);
            } catch (Throwable e) {
                g.failed("acquired", e);
            }
        }
    }

    void contended(String key, long waitedNanos) {
        // A plain loop without a lambda: this runs on the same-manager fail-fast path.
        for (Guarded g : listeners) {
            try {
                g.listener.contended(key, waitedNanos);
            } catch (Throwable e) {
                g.failed("contended", e);
            }
        }
    }

    void timedOut(String key, long waitedNanos) {
        each(l -> l.timedOut(key, waitedNanos), "timedOut");
    }

    void released(LockHandle handle, long heldNanos) {
        each(l -> l.released(handle, heldNanos), "released");
    }

    void lost(LockHandle handle, LockLoss loss, long heldNanos) {
        each(l -> l.lost(handle, loss, heldNanos), "lost");
    }

    void renewed(LockHandle handle) {
        each(l -> l.renewed(handle), "renewed");
    }

    void renewalFailed(LockHandle handle, Throwable cause) {
        each(l -> l.renewalFailed(handle, cause), "renewalFailed");
    }

    void backendError(String key, LockListener.Operation operation, Throwable error, long elapsedNanos) {
        each(l -> l.backendError(key, operation, error, elapsedNanos), "backendError");
    }

    void closed() {
        each(LockListener::closed, "closed");
    }

    private void each(Consumer<LockListener> call, String event) {
        for (Guarded g : listeners) {
            try {
                call.accept(g.listener);
            } catch (Throwable e) {
                g.failed(event, e);
            }
        }
    }

    /** One listener and its failure count, so that a listener failing on every call logs once a minute. */
    private static final class Guarded {
        final LockListener listener;
        private final AtomicLong failures = new AtomicLong();
        /** System time of the next failure worth logging; the first one always is. */
        private final AtomicLong nextLog = new AtomicLong(System.nanoTime());

        Guarded(LockListener listener) {
            this.listener = listener;
        }

        void failed(String event, Throwable e) {
            if (e instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            long count = failures.incrementAndGet();
            long now = System.nanoTime();
            long next = nextLog.get();
            if (now - next >= 0 && nextLog.compareAndSet(next, now + LOG_INTERVAL_NANOS)) {
                failures.set(0);
                log.warn("lock listener {} failed in {} ({} failure(s) since the last report; locking goes on)",
                        listener, event, count, e);
            }
        }
    }
}
