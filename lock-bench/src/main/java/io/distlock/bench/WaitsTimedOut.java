package io.distlock.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Hand-off waits that ran out (10 s) without the lock, per iteration. None of the locks compared is fair: the thread
 * that just released may take the key again at once, and a waiter can starve. That is a result to report, not a
 * failure of the benchmark (a grant that must not happen still fails it).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class WaitsTimedOut {
    public long timedOut;

    @Setup(Level.Iteration)
    public void reset() {
        timedOut = 0;
    }

    /** Counts {@code acquired == false} and returns {@code acquired}. */
    boolean count(boolean acquired) {
        if (!acquired) {
            timedOut++;
        }
        return acquired;
    }
}
