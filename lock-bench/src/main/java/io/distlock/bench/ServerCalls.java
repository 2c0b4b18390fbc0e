package io.distlock.bench;

import java.util.function.LongSupplier;

/**
 * Counts the requests a server received during one measurement iteration, to show that a path makes none (same-manager
 * fail-fast) or exactly one (fail-fast elsewhere). Each backend's benchmark nests a JMH {@code @AuxCounters} state
 * with the public fields {@code requests} and {@code ops} (JMH reports only fields declared in the annotated class)
 * and delegates here; the report divides them into "server requests per operation".
 *
 * <p>The counters read the server's own statistics, so they see every request, also ones the client makes in the
 * background (lease renewals, pings): those are a handful per iteration against thousands of operations, which is why
 * the report shows the ratio with two decimals and a same-manager path must come out at 0.00.
 */
final class ServerCalls {

    private final LongSupplier counter;
    private final long overhead;
    private long start;

    /**
     * @param counter  reads the server's request counter
     * @param overhead what one read of the counter adds to the counter itself
     */
    ServerCalls(LongSupplier counter, long overhead) {
        this.counter = counter;
        this.overhead = overhead;
    }

    /** Reads the counter twice to learn what one read costs it. */
    static ServerCalls calibrated(LongSupplier counter) {
        long first = counter.getAsLong();
        return new ServerCalls(counter, counter.getAsLong() - first);
    }

    /** Called at the start of an iteration. */
    void begin() {
        start = counter.getAsLong();
    }

    /** Requests since {@link #begin()}, without those the counter reads caused. */
    long end() {
        return Math.max(0, counter.getAsLong() - start - overhead);
    }
}
