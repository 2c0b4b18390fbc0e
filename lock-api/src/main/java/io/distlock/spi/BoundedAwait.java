package io.distlock.spi;

import io.distlock.LockBackendException;

import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a client's future until a deadline, with one interrupt policy, and turns every way the wait can end
 * badly into a {@link LockBackendException} built by the backend's {@link Failures}. Each backend used to write this
 * loop itself; the subtle parts live here once:
 * <ul>
 *   <li>an interrupted wait either gives up ({@link Interrupts#ABORT}, for acquisitions, so the core can report
 *       {@code InterruptedException}) or keeps waiting until the deadline ({@link Interrupts#FINISH}, for releases:
 *       giving up would leave a key locked for the rest of its lease); in both cases the thread's interrupt flag is
 *       set again when this returns or throws;</li>
 *   <li>the deadline is absolute ({@link System#nanoTime()}), so a caller with a bounded wait passes what is left of
 *       it, never a fresh full timeout;</li>
 *   <li>an {@link ExecutionException} is unwrapped: the backend's {@link Failures#failed} sees the client's own
 *       exception.</li>
 * </ul>
 * Stateless and thread safe.
 */
public final class BoundedAwait {

    /** What an interrupt of the waiting thread does. */
    public enum Interrupts {
        /** Stop waiting and throw {@link Failures#interrupted}; the interrupt flag stays set. */
        ABORT,
        /** Keep waiting until the future completes or the deadline passes; the interrupt flag is restored after. */
        FINISH
    }

    /** Builds the exception for each way a wait can fail; the backend says what was done and on which store. */
    public interface Failures {
        /**
         * The deadline passed before the future completed.
         *
         * @param e the timeout
         * @return the exception to throw
         */
        LockBackendException timedOut(TimeoutException e);

        /**
         * The waiting thread was interrupted under {@link Interrupts#ABORT}.
         *
         * @param e the interrupt
         * @return the exception to throw
         */
        LockBackendException interrupted(InterruptedException e);

        /**
         * The call failed.
         *
         * @param cause the client's exception, unwrapped from {@link ExecutionException}
         * @return the exception to throw
         */
        LockBackendException failed(Throwable cause);
    }

    private BoundedAwait() {
    }

    /**
     * Waits for {@code future} until {@code deadlineNanos}.
     *
     * @param future the client's pending call
     * @param deadlineNanos the absolute deadline on the {@link System#nanoTime()} scale
     * @param interrupts what an interrupt does
     * @param failures builds the exception for a timeout, an interrupt or a failed call
     * @param <T> the result type
     * @return the future's result
     * @throws LockBackendException built by {@code failures} on timeout, interrupt ({@link Interrupts#ABORT}) or
     *     failure
     * @throws NullPointerException if an argument is null
     */
    public static <T> T until(Future<T> future, long deadlineNanos, Interrupts interrupts, Failures failures) {
        Objects.requireNonNull(future, "future must not be null");
        Objects.requireNonNull(interrupts, "interrupts must not be null");
        Objects.requireNonNull(failures, "failures must not be null");
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                    if (interrupts == Interrupts.ABORT) {
                        throw failures.interrupted(e);
                    }
                } catch (TimeoutException e) {
                    throw failures.timedOut(e);
                } catch (ExecutionException e) {
                    throw failures.failed(e.getCause() == null ? e : e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
