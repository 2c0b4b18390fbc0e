package io.distlock.demo;

import io.distlock.LockHandle;
import io.distlock.LockManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The "bargain" service ("cut the price once per user per order"), deployed as several replicas: each replica is a
 * thread pool with its own {@link LockManager}, and all replicas share one {@link PriceStore}. The operation is the
 * usual check-then-act: read the row, stop if the cut was applied, do the business work, write the row back. Without
 * a lock two identical requests that arrive together both see "not applied yet" and both apply; with distlock the
 * operation runs under {@code tryLock("bargain:" + user + ":" + order)} and a duplicate is turned away at once.
 *
 * <p>Replaying a stream dispatches each group of identical requests so that they really arrive together: a single
 * dispatcher reserves an idle worker on each target replica, hands the group's requests to them, then opens a start
 * gate they all wait on. Not thread safe: one replay at a time.
 */
final class BargainService implements AutoCloseable {

    /** How the operation is guarded. */
    enum Mode {
        WITHOUT_LOCK("without lock"),
        WITH_DISTLOCK("with distlock");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** What one request did. */
    enum Outcome { APPLIED, REJECTED_IN_PROGRESS, REJECTED_ALREADY_DONE, FAILED }

    /** A replay stops dispatching after this many failed requests: the backend is down, more would only wait. */
    static final int MAX_FAILURES = 20;
    /** The longest a replay waits for its last requests, far above any operation timeout. */
    private static final long DRAIN_TIMEOUT_SECONDS = 120;

    private final Deployment deployment;
    private final int replicas;
    private final int threads;
    private final List<ExecutorService> pools = new ArrayList<>();

    BargainService(Deployment deployment, int replicas, int threads) {
        this.deployment = deployment;
        this.replicas = replicas;
        this.threads = threads;
        for (int r = 0; r < replicas; r++) {
            pools.add(Executors.newFixedThreadPool(threads, daemonThreads("replica-" + r + "-worker-")));
        }
    }

    /**
     * Replays {@code stream} against a fresh view of {@code store}.
     *
     * @param completed incremented once per finished request, for a progress bar
     * @throws InterruptedException if the calling thread is interrupted; requests already dispatched finish
     */
    RunResult replay(RequestStream stream, Mode mode, PriceStore store, AtomicInteger completed)
            throws InterruptedException {
        Replay replay = new Replay(stream, mode, store, completed);
        return replay.run();
    }

    @Override
    public void close() {
        for (ExecutorService pool : pools) {
            pool.shutdownNow();
        }
    }

    /** The state of one replay. */
    private final class Replay {
        private final RequestStream stream;
        private final Mode mode;
        private final PriceStore store;
        private final AtomicInteger completed;
        private final Semaphore[] idleWorkers = new Semaphore[replicas];
        /** Per group, the replica whose request took the lock first: tells same-replica from cross-replica. */
        private final AtomicIntegerArray holderReplica;
        private final AtomicInteger[] outcomeCounts = new AtomicInteger[Outcome.values().length];
        private final long[] rejectNanos;
        private final int[] rejectReplica;
        private final int[] rejectGroup;
        private final AtomicInteger rejections = new AtomicInteger();
        private final long[] holdNanos;
        private final AtomicInteger holds = new AtomicInteger();
        private final AtomicReference<String> firstFailure = new AtomicReference<>();

        Replay(RequestStream stream, Mode mode, PriceStore store, AtomicInteger completed) {
            this.stream = stream;
            this.mode = mode;
            this.store = store;
            this.completed = completed;
            for (int r = 0; r < replicas; r++) {
                idleWorkers[r] = new Semaphore(threads);
            }
            for (int i = 0; i < outcomeCounts.length; i++) {
                outcomeCounts[i] = new AtomicInteger();
            }
            holderReplica = new AtomicIntegerArray(stream.groups().size());
            for (int g = 0; g < stream.groups().size(); g++) {
                holderReplica.set(g, -1);
            }
            rejectNanos = new long[stream.requests()];
            rejectReplica = new int[stream.requests()];
            rejectGroup = new int[stream.requests()];
            holdNanos = new long[stream.requests()];
        }

        RunResult run() throws InterruptedException {
            CountDownLatch finished = new CountDownLatch(stream.requests());
            long start = System.nanoTime();
            int dispatched = 0;
            for (RequestStream.Group group : stream.groups()) {
                if (outcomeCounts[Outcome.FAILED.ordinal()].get() >= MAX_FAILURES) {
                    break;
                }
                CountDownLatch gate = new CountDownLatch(1);
                int[] wanted = new int[replicas];
                for (RequestStream.Request request : group.requests()) {
                    wanted[request.replica()]++;
                }
                // Reserve an idle worker per request (at most all workers of a replica, if a group is larger), so
                // that no request of the group waits in a queue behind other traffic: they start together.
                boolean[] reserved = new boolean[group.requests().size()];
                int[] reservedOn = new int[replicas];
                for (int r = 0; r < replicas; r++) {
                    reservedOn[r] = Math.min(wanted[r], threads);
                    if (reservedOn[r] > 0) {
                        idleWorkers[r].acquire(reservedOn[r]);
                    }
                }
                for (int i = 0; i < reserved.length; i++) {
                    int r = group.requests().get(i).replica();
                    if (reservedOn[r] > 0) {
                        reserved[i] = true;
                        reservedOn[r]--;
                    }
                }
                for (int i = 0; i < reserved.length; i++) {
                    RequestStream.Request request = group.requests().get(i);
                    boolean holdsWorker = reserved[i];
                    pools.get(request.replica()).execute(() -> {
                        try {
                            count(serve(request, gate));
                        } finally {
                            if (holdsWorker) {
                                idleWorkers[request.replica()].release();
                            }
                            completed.incrementAndGet();
                            finished.countDown();
                        }
                    });
                    dispatched++;
                }
                gate.countDown();
            }
            for (int i = dispatched; i < stream.requests(); i++) {
                finished.countDown();
            }
            if (!finished.await(DRAIN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                // Counted as failed, so that a hung backend can never pass for a clean run.
                int unfinished = (int) finished.getCount();
                outcomeCounts[Outcome.FAILED.ordinal()].addAndGet(unfinished);
                firstFailure.compareAndSet(null, unfinished + " requests still running after "
                        + DRAIN_TIMEOUT_SECONDS + " s");
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            return result(dispatched, elapsed);
        }

        private void count(Outcome outcome) {
            outcomeCounts[outcome.ordinal()].incrementAndGet();
        }

        @SuppressWarnings("try") // the handle is only held: try-with-resources is the idiom the demo shows
        private Outcome serve(RequestStream.Request request, CountDownLatch gate) {
            try {
                gate.await();
                pause(request.arrivalOffsetNanos());
                if (mode == Mode.WITHOUT_LOCK) {
                    return bargain(request);
                }
                LockManager locks = deployment.manager(request.replica());
                long t0 = System.nanoTime();
                Optional<LockHandle> lock = locks.tryLock(request.lockKey());
                long took = System.nanoTime() - t0;
                if (lock.isEmpty()) {
                    int slot = rejections.getAndIncrement();
                    rejectNanos[slot] = took;
                    rejectReplica[slot] = request.replica();
                    rejectGroup[slot] = request.group();
                    return Outcome.REJECTED_IN_PROGRESS;
                }
                holderReplica.compareAndSet(request.group(), -1, request.replica());
                Outcome outcome;
                try (LockHandle held = lock.get()) {
                    outcome = bargain(request);
                }
                if (outcome == Outcome.APPLIED) {
                    holdNanos[holds.getAndIncrement()] = System.nanoTime() - (t0 + took);
                }
                return outcome;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                firstFailure.compareAndSet(null, "interrupted");
                return Outcome.FAILED;
            } catch (RuntimeException e) {
                firstFailure.compareAndSet(null, e.toString());
                return Outcome.FAILED;
            }
        }

        /** Check-then-act on the shared store, with the business work between the check and the act. */
        private Outcome bargain(RequestStream.Request request) {
            PriceStore.Offer offer = store.read(request.storeKey());
            if (offer.bargained()) {
                return Outcome.REJECTED_ALREADY_DONE;
            }
            pause(request.workNanos());
            store.applyCut(request.storeKey(), offer);
            return Outcome.APPLIED;
        }

        private RunResult result(int dispatched, Duration elapsed) {
            int n = rejections.get();
            long[] same = new long[n];
            long[] cross = new long[n];
            int sameCount = 0;
            int crossCount = 0;
            for (int i = 0; i < n; i++) {
                if (holderReplica.get(rejectGroup[i]) == rejectReplica[i]) {
                    same[sameCount++] = rejectNanos[i];
                } else {
                    cross[crossCount++] = rejectNanos[i];
                }
            }
            int duplicates = 0;
            int seen = 0;
            for (RequestStream.Group group : stream.groups()) {
                for (RequestStream.Request request : group.requests()) {
                    if (seen++ < dispatched && request.duplicate()) {
                        duplicates++;
                    }
                }
            }
            return new RunResult(mode, dispatched, duplicates, get(Outcome.APPLIED), get(Outcome.REJECTED_IN_PROGRESS),
                    get(Outcome.REJECTED_ALREADY_DONE), get(Outcome.FAILED), store.doubleApplications(),
                    store.rowsCut(), Arrays.copyOf(same, sameCount),
                    Arrays.copyOf(cross, crossCount), Arrays.copyOf(holdNanos, holds.get()),
                    elapsed, firstFailure.get());
        }

        private int get(Outcome outcome) {
            return outcomeCounts[outcome.ordinal()].get();
        }
    }

    /** Sleeps for {@code nanos}, standing in for work that waits on I/O; bounded, spurious wake-ups resume. */
    static void pause(long nanos) {
        if (nanos <= 0) {
            return;
        }
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger sequence = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + sequence.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
