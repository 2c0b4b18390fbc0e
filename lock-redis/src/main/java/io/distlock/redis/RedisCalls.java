package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.BoundedAwait;
import org.redisson.api.RFuture;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Sends Redisson calls and waits for them for at most the operation timeout ({@link BoundedAwait}), turning every
 * way a call can fail into a {@link LockBackendException} that says what was done, on which deployment, and how it
 * failed ({@link RedisFailures}: a refused configuration is a {@code LockConfigurationException}). Shared by the
 * lock backend, its release subscription and the record store, so that all three bound and report calls the same
 * way. Immutable and thread safe.
 *
 * <p>{@code what} is the action with its object ({@code "acquiring lock 'k'"}); the messages append
 * {@code " on <deployment>"} and the failure. {@code ifGivenUp} is appended when the caller stops waiting (timeout
 * or interrupt) for a call that may still be applied, to say what that means for its outcome.
 */
final class RedisCalls {

    private final RedisFailures failures;
    private final Duration timeout;

    RedisCalls(RedisFailures failures, Duration timeout) {
        this.failures = failures;
        this.timeout = timeout;
    }

    /** What the calls go to, for messages and logs: never credentials. */
    String description() {
        return failures.description();
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
            throw failures.failed(what, e);
        }
    }

    /**
     * Waits for {@code future} for at most the operation timeout. An interrupt stops the wait; the flag is kept, so
     * that the core turns it into {@code InterruptedException} where it must.
     *
     * @throws LockBackendException on timeout, interrupt or a failed call
     */
    <T> T await(RFuture<T> future, String what, String ifGivenUp) {
        return until(future, what, ifGivenUp, deadline(), BoundedAwait.Interrupts.ABORT);
    }

    /**
     * Waits for {@code future} until {@code deadlineNanos} (never later than one operation timeout from now) with
     * {@code interrupts}; a nil reply is a failure, as for {@link #awaitReply}.
     *
     * @throws LockBackendException on timeout, interrupt ({@code ABORT}), a failed call or a nil reply
     */
    <T> T awaitReplyUntil(RFuture<T> future, String what, String ifGivenUp, long deadlineNanos,
                          BoundedAwait.Interrupts interrupts) {
        long deadline = Math.min(deadlineNanos - System.nanoTime(), timeout.toNanos()) + System.nanoTime();
        return present(until(future, what, ifGivenUp, deadline, interrupts), what);
    }

    /**
     * As {@link #await}, until {@code deadlineNanos} (never later than one operation timeout from now); nil is a
     * value here.
     *
     * @throws LockBackendException on timeout, interrupt or a failed call
     */
    <T> T awaitUntil(RFuture<T> future, String what, String ifGivenUp, long deadlineNanos) {
        long deadline = Math.min(deadlineNanos - System.nanoTime(), timeout.toNanos()) + System.nanoTime();
        return until(future, what, ifGivenUp, deadline, BoundedAwait.Interrupts.ABORT);
    }

    /**
     * The non-blocking form of {@link #awaitReplyUntil}: a stage that completes with the reply of {@code future}, or
     * exceptionally with the {@link LockBackendException} the blocking form would throw (timeout at
     * {@code deadlineNanos} but never later than one operation timeout from now, a failed call, a nil reply). It
     * completes on Redisson's I/O thread or, on timeout, on the JDK's delay scheduler thread; nothing here blocks.
     * The call itself is not cancelled on timeout: it may still run, as for the blocking form.
     */
    <T> CompletableFuture<T> replyWithin(RFuture<T> future, String what, String ifGivenUp, long deadlineNanos) {
        long remaining = Math.max(0, Math.min(deadlineNanos - System.nanoTime(), timeout.toNanos()));
        long millis = (remaining + 500_000) / 1_000_000;
        BoundedAwait.Failures mapping = failures(what, ifGivenUp, millis);
        // A separate future for the timeout, so that it never completes (and upsets) Redisson's own; orTimeout
        // cancels its timer when the reply comes first, so fast calls leave nothing scheduled behind.
        CompletableFuture<T> reply = new CompletableFuture<>();
        future.whenComplete((value, error) -> {
            if (error != null) {
                reply.completeExceptionally(error);
            } else {
                reply.complete(value);
            }
        });
        reply.orTimeout(remaining, TimeUnit.NANOSECONDS);
        CompletableFuture<T> result = new CompletableFuture<>();
        reply.whenComplete((value, error) -> {
            if (error != null) {
                Throwable cause = error;
                while ((cause instanceof java.util.concurrent.CompletionException
                        || cause instanceof java.util.concurrent.ExecutionException) && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                result.completeExceptionally(cause instanceof TimeoutException timeout ? mapping.timedOut(timeout)
                        : mapping.failed(cause));
            } else if (value == null) {
                result.completeExceptionally(nilReply(what));
            } else {
                result.complete(value);
            }
        });
        return result;
    }

    private <T> T until(RFuture<T> future, String what, String ifGivenUp, long deadline,
                        BoundedAwait.Interrupts interrupts) {
        long millis = Math.max(0, (deadline - System.nanoTime() + 500_000) / 1_000_000);
        return BoundedAwait.until(future, deadline, interrupts, failures(what, ifGivenUp, millis));
    }

    /**
     * As {@link #await}, for a reply that must have a value: Redis never answers these calls with nil, so nil means
     * something in between (a proxy, a mocked server) answered for it, and treating it as "not held" or "not
     * released" would report an outage as contention.
     *
     * @throws LockBackendException on timeout, interrupt, a failed call or a nil reply
     */
    <T> T awaitReply(RFuture<T> future, String what, String ifGivenUp) {
        return present(await(future, what, ifGivenUp), what);
    }

    /**
     * Waits for {@code future} for at most the operation timeout even if the thread is interrupted (the flag is
     * restored): giving up on a release would leave the key locked for the rest of its lease. The reply must have a
     * value, as for {@link #awaitReply}.
     *
     * @throws LockBackendException on timeout, a failed call or a nil reply
     */
    <T> T awaitReplyUninterruptibly(RFuture<T> future, String what) {
        return present(until(future, what, "", deadline(), BoundedAwait.Interrupts.FINISH), what);
    }

    /** How calls' failures are reported. */
    RedisFailures failures() {
        return failures;
    }

    Duration timeout() {
        return timeout;
    }

    /** The failure of {@code what}, mapped as every call's failure is. */
    LockBackendException failed(String what, Throwable cause) {
        return failures.failed(what, cause);
    }

    private <T> T present(T reply, String what) {
        if (reply == null) {
            throw nilReply(what);
        }
        return reply;
    }

    private LockBackendException nilReply(String what) {
        return new LockBackendException(what + " on " + description() + " got no value (a nil reply, which Redis "
                + "never gives here: is a proxy in between answering for it?); the outcome is unknown");
    }

    private long deadline() {
        return System.nanoTime() + timeout.toNanos();
    }

    private BoundedAwait.Failures failures(String what, String ifGivenUp, long millis) {
        return new BoundedAwait.Failures() {
            @Override
            public LockBackendException timedOut(TimeoutException e) {
                return failures.timedOut(what, millis, ifGivenUp, e);
            }

            @Override
            public LockBackendException interrupted(InterruptedException e) {
                return new LockBackendException(what + " on " + description() + " was interrupted" + ifGivenUp, e);
            }

            @Override
            public LockBackendException failed(Throwable cause) {
                if (cause instanceof org.redisson.client.RedisTimeoutException) {
                    // Redisson's own per-call timeout fired first: the same outcome as ours.
                    return failures.timedOut(what, millis, ifGivenUp, cause);
                }
                return failures.failed(what, cause);
            }
        };
    }
}
