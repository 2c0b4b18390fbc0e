package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.spi.BoundedAwait;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounds every jetcd call by the operation timeout and turns its failures into {@link LockBackendException}s that say
 * what was done, where, and what to check: no answer in time (server down, paused, or a cluster without quorum),
 * refused credentials, missing permissions. Thread safe.
 */
final class EtcdCalls {

    private final long timeoutNanos;
    private final String description;

    /**
     * @param timeout the bound of every call
     * @param description where the calls go, for messages, e.g. {@code etcd at [127.0.0.1:2379] under /distlock/}
     */
    EtcdCalls(Duration timeout, String description) {
        this.timeoutNanos = timeout.toNanos();
        this.description = description;
    }

    String description() {
        return description;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /** The deadline of a call starting now, in {@link System#nanoTime()} terms. */
    long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    /**
     * Waits for {@code future} until {@code deadline} ({@link BoundedAwait}); on timeout or an aborting interrupt the
     * call is cancelled. An interrupted wait keeps the interrupt flag and fails unless {@code uninterruptible}, which
     * keeps waiting (a release must complete even on an interrupted thread).
     *
     * @param what what was attempted, e.g. {@code acquiring lock 'k'}
     * @throws LockBackendException on timeout, interrupt or failure
     */
    <T> T await(CompletableFuture<T> future, long deadline, boolean uninterruptible, String what) {
        try {
            return BoundedAwait.until(future, deadline,
                    uninterruptible ? BoundedAwait.Interrupts.FINISH : BoundedAwait.Interrupts.ABORT,
                    new BoundedAwait.Failures() {
                        @Override
                        public LockBackendException timedOut(TimeoutException e) {
                            future.cancel(true);
                            return noAnswer(what, e);
                        }

                        @Override
                        public LockBackendException interrupted(InterruptedException e) {
                            future.cancel(true);
                            return new LockBackendException(what + " on " + description + ": interrupted", e);
                        }

                        @Override
                        public LockBackendException failed(Throwable cause) {
                            return failure(what, cause);
                        }
                    });
        } catch (CancellationException e) {
            throw new LockBackendException(what + " on " + description + ": the call was cancelled (client closing)",
                    e);
        }
    }

    /**
     * {@code call} bounded by {@code deadline} without blocking: the returned future completes with its value, or
     * with the {@link LockBackendException} that {@link #await} would throw (a failure, or no answer by the deadline,
     * which cancels {@code call} if {@code cancel}; a shared call that others wait for is left running). It completes
     * on jetcd's thread or on the JDK's delay scheduler.
     */
    <T> CompletableFuture<T> within(CompletableFuture<T> call, long deadline, boolean cancel, String what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        CompletableFuture<Boolean> timer = new CompletableFuture<Boolean>()
                .completeOnTimeout(Boolean.TRUE, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        timer.thenAccept(fired -> {
            if (fired && result.completeExceptionally(noAnswer(what, new TimeoutException())) && cancel) {
                call.cancel(true);
            }
        });
        call.whenComplete((value, error) -> {
            // Completing the timer early cancels its scheduled task.
            timer.complete(Boolean.FALSE);
            if (error == null) {
                result.complete(value);
            } else if (error instanceof CancellationException) {
                result.completeExceptionally(new LockBackendException(what + " on " + description + ": the call was "
                        + "cancelled (client closing)", error));
            } else {
                result.completeExceptionally(failure(what, error));
            }
        });
        return result;
    }

    /** The failure of a call that got no answer by its deadline. */
    LockBackendException noAnswer(String what, TimeoutException e) {
        return new LockBackendException(what + " on " + description + ": no answer within "
                + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (server down, paused or unreachable, or a "
                + "cluster without quorum); the outcome is unknown", e);
    }

    /**
     * A failure of a call, with a hint for the failures that are configuration mistakes. jetcd wraps the server's
     * answer (e.g. gRPC {@code INVALID_ARGUMENT: etcdserver: authentication failed}) in exceptions whose own message
     * is only a status code, so the whole cause chain is read.
     */
    LockBackendException failure(String what, Throwable cause) {
        Throwable root = cause;
        while (root instanceof java.util.concurrent.CompletionException && root.getCause() != null) {
            root = root.getCause();
        }
        StringBuilder messages = new StringBuilder();
        String deepest = null;
        boolean unauthenticated = false;
        boolean denied = false;
        for (Throwable t = root; t != null && t.getCause() != t; t = t.getCause()) {
            if (t.getMessage() != null) {
                messages.append(t.getMessage().toLowerCase(Locale.ROOT)).append('\n');
                deepest = t.getMessage();
            }
            if (t instanceof EtcdException etcd) {
                unauthenticated |= etcd.getErrorCode() == ErrorCode.UNAUTHENTICATED;
                denied |= etcd.getErrorCode() == ErrorCode.PERMISSION_DENIED;
            }
        }
        String all = messages.toString();
        String hint = "";
        if (all.contains("authentication failed") || all.contains("invalid auth token") || unauthenticated) {
            hint = " (authentication failed: check the user name and password given to the client)";
        } else if (all.contains("permission denied") || denied) {
            hint = " (permission denied: the etcd user needs a role with readwrite permission on the namespace "
                    + "prefix)";
        } else if (all.contains("authentication is not enabled")) {
            hint = " (the client sends a user and password, but authentication is not enabled on the server)";
        } else if (all.contains("sslhandshake") || all.contains("handshake failed")
                || all.contains("certificate") || all.contains("not an ssl/tls record")) {
            hint = " (TLS handshake failed: check etcds:// versus etcd://, and the trusted certificates)";
        }
        String message = String.valueOf(root.getMessage());
        if (deepest != null && !deepest.equals(message)) {
            message = message + ": " + deepest;
        }
        if (!hint.isEmpty()) {
            // The store answered and refused this configuration: retrying does not help, fixing it does.
            return new LockConfigurationException(what + " on " + description + ": " + message + hint, root);
        }
        return new LockBackendException(what + " on " + description + ": " + message, root);
    }

    /** Whether {@code e} says etcd does not know the lease (expired or revoked), so nothing was written. */
    static boolean isLeaseNotFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("requested lease not found")) {
                return true;
            }
        }
        return false;
    }
}
