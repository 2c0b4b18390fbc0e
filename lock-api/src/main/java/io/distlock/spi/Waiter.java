package io.distlock.spi;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One waiting call's wake-up signal. Signals before {@link #await} are kept (a permit), so a release between the
 * attempt and the wait is never missed; {@link #reset()} drops those of earlier rounds.
 */
final class Waiter implements Runnable {

    private final Semaphore signals = new Semaphore(0);
    /**
     * Set while the waiter skipped its own attempt because a handle of its manager was being acquired or held: only
     * such waiters are woken when a pending attempt fails. Waking every waiter instead makes two waiters of one
     * manager wake each other after every failed attempt, for as long as the key stays held elsewhere.
     */
    volatile boolean deferred;
    /** What an asynchronous wait does on a signal (it has no thread to wake); null for a blocking wait. */
    private final Runnable onSignal;

    Waiter() {
        this(null);
    }

    Waiter(Runnable onSignal) {
        this.onSignal = onSignal;
    }

    /** Signals the waiter; safe from any thread, including backend event threads. */
    @Override
    public void run() {
        signals.release();
        if (onSignal != null) {
            onSignal.run();
        }
    }

    Runnable onSignal() {
        return onSignal;
    }

    /** Whether a signal arrived since the last {@link #reset()}. */
    boolean signalled() {
        return signals.availablePermits() > 0;
    }

    void reset() {
        signals.drainPermits();
    }

    void await(long nanos) throws InterruptedException {
        if (signals.tryAcquire(nanos, TimeUnit.NANOSECONDS)) {
            // Several releases may have signalled; one wake-up is enough for one attempt.
            signals.drainPermits();
        }
    }
}
