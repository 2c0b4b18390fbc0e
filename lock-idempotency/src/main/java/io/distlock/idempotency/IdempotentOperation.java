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
    T run(LockHandle lock) throws Exception;
}
