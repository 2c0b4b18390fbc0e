package io.distlock.redis;

import io.distlock.LockBackendException;
import org.redisson.api.RFuture;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Sends Redisson calls and waits for them for at most the operation timeout, turning every way a call can fail
 * into a {@link LockBackendException} that says what was done, on which deployment, and how it failed. Shared by
 * the lock backend, its release subscription and the record store, so that all three bound and report calls the
 * same way. Immutable and thread safe.
 *
 * <p>{@code what} is the action with its object ({@code "acquiring lock 'k'"}); the messages append
 * {@code " on <deployment>"} and the failure. {@code ifGivenUp} is appended when the caller stops waiting (timeout
 * or interrupt) for a call that may still be applied, to say what that means for its outcome.
 */
final class RedisCalls {

    private final String description;
    private final Duration timeout;

    RedisCalls(String description, Duration timeout) {
        this.description = description;
        this.timeout = timeout;
    }

    /** What the calls go to, for messages and logs: never credentials. */
    String description() {
        return description;
    }

    /**
     * Sends a call. Redisson refuses a call synchronously only when it cannot send it at all (client shut down).
     *
     * @throws LockBackendException if the call could not be sent
     */
    <T> RFuture<T> send(String what, Supplier<RFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            throw failed(what, e);
        }
    }

    /**
     * Waits for {@code future} for at most the operation timeout. An interrupt stops the wait; the flag is kept, so
     * that the core turns it into {@code InterruptedException} where it must.
     *
     * @throws LockBackendException on timeout, interrupt or a failed call
     */
    <T> T await(RFuture<T> future, String what, String ifGivenUp) {
        return await(future, what, ifGivenUp, true);
    }

    /**
     * Waits for {@code future} for at most the operation timeout even if the thread is interrupted (the flag is
     * restored): giving up on a release would leave the key locked for the rest of its lease.
     *
     * @throws LockBackendException on timeout or a failed call
     */
    <T> T awaitUninterruptibly(RFuture<T> future, String what) {
        return await(future, what, "", false);
    }

    private <T> T await(RFuture<T> future, String what, String ifGivenUp, boolean interruptible) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                    if (interruptible) {
                        throw new LockBackendException(what + " on " + description + " was interrupted" + ifGivenUp,
                                e);
                    }
                } catch (TimeoutException e) {
                    throw new LockBackendException(what + " on " + description + " timed out after "
                            + timeout.toMillis() + " ms" + ifGivenUp, e);
                } catch (ExecutionException e) {
                    throw failed(what, e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private LockBackendException failed(String what, Throwable cause) {
        return new LockBackendException(what + " on " + description + " failed: " + cause, cause);
    }
}
