package io.distlock.hazelcast;

import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of a backend's asynchronous calls: one daemon thread, started on the first asynchronous call, that
 * fails a call still unanswered at its deadline. Hazelcast's own invocation timeout cannot do it (it is 120 s by
 * default and may belong to a client the caller configured). A deadline met by the answer is cancelled and removed
 * at once, so the queue holds only calls in flight. Thread safe.
 */
final class Deadlines {

    private ScheduledThreadPoolExecutor timer;
    private boolean closed;

    /** Runs {@code onExpiry} at {@code deadlineNanos} (nanoTime) unless the returned future is cancelled first. */
    Future<?> at(long deadlineNanos, Runnable onExpiry) {
        return timer().schedule(onExpiry, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private synchronized ScheduledThreadPoolExecutor timer() {
        if (closed) {
            throw new IllegalStateException("the hazelcast lock backend is closed");
        }
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread thread = new Thread(runnable, "distlock-hazelcast-deadlines");
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
        }
        return timer;
    }

    /** Stops the thread; calls still in flight complete when their answers come. Idempotent. */
    synchronized void close() {
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
