package io.distlock.tck;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs tasks on their own threads and reports every failure of every thread, instead of losing them in a log.
 * Used by the concurrent TCK tests; {@link #join(Duration)} bounds how long a stuck backend can hold a test.
 */
public final class Workers {

    /** A task that may throw anything. */
    @FunctionalInterface
    public interface Task {
        /**
         * Runs the task.
         *
         * @throws Exception anything; collected and reported by {@link #join}
         */
        void run() throws Exception;
    }

    private final String name;
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();

    /**
     * Creates an empty set of workers.
     *
     * @param name the prefix of the threads' names
     */
    public Workers(String name) {
        this.name = name;
    }

    /**
     * Starts {@code task} on a new daemon thread.
     *
     * @param task the task
     * @return these workers
     */
    public Workers start(Task task) {
        Thread thread = new Thread(() -> {
            try {
                task.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        }, name + "-" + threads.size());
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        return this;
    }

    /**
     * Waits for every thread, then throws an {@link AssertionError} carrying every failure as suppressed, or if a
     * thread is still running after {@code timeout} (it is interrupted then).
     *
     * @param timeout how long to wait for all threads
     * @throws InterruptedException if the waiting thread is interrupted
     */
    public void join(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> stuck = new ArrayList<>();
        for (Thread thread : threads) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            }
            if (thread.isAlive()) {
                stuck.add(thread.getName());
                thread.interrupt();
            }
        }
        if (!stuck.isEmpty() || !failures.isEmpty()) {
            AssertionError error = new AssertionError(name + ": " + failures.size() + " worker(s) failed"
                    + (stuck.isEmpty() ? "" : ", still running after " + timeout + ": " + stuck));
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }
}
