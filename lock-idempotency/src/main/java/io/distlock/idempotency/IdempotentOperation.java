package io.distlock.idempotency;

import io.distlock.LockHandle;

/**
 * The operation run at most once per idempotency key. It gets the lock's handle: pass
 * {@link LockHandle#fencingToken()} to the resources it writes, so a run that lost its lock is rejected there.
 *
 * @param <T> the result, stored and replayed to later duplicates
 */
@FunctionalInterface
public interface IdempotentOperation<T> {
    /**
     * Runs the operation while its lock is held.
     *
     * @param lock the handle of the lock held for this run; pass its fencing token on
     * @return the result, stored and replayed
     * @throws Exception anything; unchecked exceptions reach the caller as they are, checked ones wrapped in {@link
     *     OperationFailedException}
     */
    T run(LockHandle lock) throws Exception;
}
