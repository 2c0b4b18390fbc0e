package io.distlock.spi;

import io.distlock.LockBackendException;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The one process-wide pool on which the default asynchronous methods of {@link io.distlock.LockManager} and
 * {@link LockBackend} run their blocking counterparts, so that every backend has the asynchronous forms at once.
 * Each call in flight blocks one pool thread for as long as the blocking call takes (at most its timeout or wait):
 * a backend whose client is asynchronous should override those methods instead.
 *
 * <p>Bounded: at most {@value #THREADS} daemon threads (idle ones end after 30 s) and {@value #QUEUED} queued calls;
 * a call beyond that fails at once with {@link LockBackendException}, never blocking the caller. Thread safe.
 */
public final class BlockingCallPool {

    /** The most pool threads. */
    public static final int THREADS = 32;
    /** The most calls waiting for a pool thread. */
    public static final int QUEUED = 4096;

    private static final ThreadPoolExecutor POOL = pool();

    private BlockingCallPool() {
    }

    private static ThreadPoolExecutor pool() {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUED), runnable -> {
                    Thread thread = new Thread(runnable, "distlock-blocking-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /**
     * Runs {@code call} on the pool. A call whose stage was cancelled before it started is not run; a result that
     * arrives after the stage was cancelled (or completed otherwise) is handed to {@code unwanted}, so that, for
     * example, a lock got after all is released.
     *
     * @param call the blocking call
     * @param unwanted what to do with a result nobody takes any more; may be null
     * @param <T> the result type
     * @return the stage of the call's result or exception; never null
     */
    public static <T> CompletableFuture<T> submit(Callable<? extends T> call, Consumer<? super T> unwanted) {
        CompletableFuture<T> stage = new CompletableFuture<>();
        try {
            POOL.execute(() -> {
                if (stage.isDone()) {
                    return;
                }
                T result;
                try {
                    result = call.call();
                } catch (VirtualMachineError e) {
                    stage.completeExceptionally(e);
                    throw e;
                } catch (Throwable e) {
                    stage.completeExceptionally(e);
                    return;
                }
                if (!stage.complete(result) && unwanted != null && result != null) {
                    unwanted.accept(result);
                }
            });
        } catch (RejectedExecutionException e) {
            stage.completeExceptionally(new LockBackendException("more than " + (THREADS + QUEUED)
                    + " blocking lock calls in flight; the call was not made", e));
        }
        return stage;
    }
}
