package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A manager whose blocking calls go through the asynchronous ones of another ({@link LockManager#tryLockAsync}), so
 * that every TCK test written against the blocking API checks the asynchronous path too. Misuse thrown at the call
 * stays thrown; an exceptional completion is rethrown as it is (not wrapped); an interrupted wait cancels the stage,
 * which must leave nothing held.
 */
final class AsyncAsBlockingManager implements LockManager {

    private final LockManager delegate;

    AsyncAsBlockingManager(LockManager delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<LockHandle> tryLock(String key) {
        CompletableFuture<Optional<LockHandle>> stage = delegate.tryLockAsync(key).toCompletableFuture();
        try {
            return awaitAsyncResult(stage);
        } catch (InterruptedException e) {
            stage.cancel(false);
            Thread.currentThread().interrupt();
            throw new LockBackendException("interrupted while waiting for the answer for '" + key + "'", e);
        }
    }

    @Override
    public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
        CompletableFuture<Optional<LockHandle>> stage = delegate.tryLockAsync(key, wait).toCompletableFuture();
        try {
            return awaitAsyncResult(stage);
        } catch (InterruptedException e) {
            // Clause 8: an interrupted wait holds nothing; here that is the cancelled stage's promise.
            stage.cancel(false);
            throw e;
        }
    }

    /** Named so that the kit's "is it waiting" check can see a thread parked on an asynchronous wait. */
    static Optional<LockHandle> awaitAsyncResult(CompletableFuture<Optional<LockHandle>> stage)
            throws InterruptedException {
        try {
            Optional<LockHandle> result = stage.get();
            if (result == null) {
                throw new AssertionError("an asynchronous call completed with null instead of a handle or empty");
            }
            return result;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new AssertionError("an asynchronous call failed with a checked exception", cause);
        }
    }

    /** Inspection has no asynchronous form: the delegate's, so a kit run through this wrapper can still inspect. */
    @Override
    public io.distlock.LockInspector inspector() {
        return delegate.inspector();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "async:" + delegate;
    }
}
