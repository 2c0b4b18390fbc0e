package io.distlock.demo;

import java.time.Duration;
import java.util.Arrays;

/**
 * What one replay of the stream did.
 *
 * @param mode without a lock or with distlock
 * @param requests requests served
 * @param duplicates how many of them were duplicates
 * @param applied requests that applied the cut (read, work, write)
 * @param rejectedInProgress requests turned away because the lock was held: the same request was in progress
 * @param rejectedAlreadyDone requests that found the cut already applied when they read the row
 * @param failed requests that failed with an exception (a backend outage); {@link #firstFailure} says why
 * @param doubleApplied cuts granted again for a user and order that already had one
 * @param rowsCut user+order rows with at least one cut
 * @param sameReplicaRejectNanos latency of each rejection on the replica that held the lock, sorted
 * @param crossReplicaRejectNanos latency of each rejection on another replica than the holder's, sorted
 * @param appliedHoldNanos for each request that applied under a lock, how long it held the lock, sorted
 * @param elapsed wall time of the replay
 * @param firstFailure the first exception's description, or null
 */
record RunResult(BargainService.Mode mode, int requests, int duplicates, int applied, int rejectedInProgress,
                 int rejectedAlreadyDone, int failed, int doubleApplied, int rowsCut, long[] sameReplicaRejectNanos,
                 long[] crossReplicaRejectNanos, long[] appliedHoldNanos, Duration elapsed, String firstFailure) {

    RunResult {
        sameReplicaRejectNanos = sortedCopy(sameReplicaRejectNanos);
        crossReplicaRejectNanos = sortedCopy(crossReplicaRejectNanos);
        appliedHoldNanos = sortedCopy(appliedHoldNanos);
    }

    int rejected() {
        return rejectedInProgress + rejectedAlreadyDone;
    }

    /** The nearest-rank percentile of sorted latencies, in nanoseconds; -1 when there are none. */
    static long percentile(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank - 1))];
    }

    private static long[] sortedCopy(long[] values) {
        long[] copy = values.clone();
        Arrays.sort(copy);
        return copy;
    }

    @Override
    public long[] sameReplicaRejectNanos() {
        return sameReplicaRejectNanos.clone();
    }

    @Override
    public long[] crossReplicaRejectNanos() {
        return crossReplicaRejectNanos.clone();
    }

    @Override
    public long[] appliedHoldNanos() {
        return appliedHoldNanos.clone();
    }
}
