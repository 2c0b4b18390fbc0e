package io.distlock;

import java.util.concurrent.CompletionStage;

/**
 * An acquired lock on one key, owned by this handle until {@link #close()} or until the lock is lost.
 *
 * <p>Ownership belongs to the handle, not to a thread: any thread may close it, including another thread than the
 * one that acquired it (clause 3). Meant for try-with-resources:
 * <pre>{@code
 * try (LockHandle lock = locks.tryLock("user-update:" + operator)
 *         .orElseThrow(() -> new BizException("request already in progress"))) {
 *     // runs on exactly one replica at a time for this operator
 * }
 * }</pre>
 *
 * <p><b>Lease and loss:</b> while open, the lock is renewed in the background when the manager renews leases
 * (clause 5). If renewal finds the lock gone or cannot reach the backend for a whole lease, the lock is lost:
 * {@link #isHeld()} turns false and {@link #lost()} completes (clause 6). Work guarded by the lock should pass
 * {@link #fencingToken()} to the resource it changes, so that a holder that lost the lock without noticing in time is
 * rejected by order (clause 7).
 *
 * <p><b>Thread safety:</b> all methods are safe to call from any thread at any time.
 */
public interface LockHandle extends AutoCloseable {

    /** {@return the key this handle locks, exactly as passed to the manager (without any prefix)} */
    String key();

    /**
     * A number that strictly increases with every acquisition of this key across all managers sharing the backend
     * (clause 7): a resource that remembers the largest token it has seen can reject a stale holder.
     *
     * @return the fencing token of this acquisition, positive and fixed for the life of the handle
     */
    long fencingToken();

    /**
     * Whether this handle still holds the lock as far as this process can know: false after {@link #close()}, after
     * the lock was lost, and as soon as the lease has run out without a confirmed renewal, even if the background
     * renewal has not noticed yet. True is therefore a strong hint, never a proof: only fencing protects a resource.
     *
     * @return true while the lock is believed held; false once closed, lost or past its lease
     */
    boolean isHeld();

    /**
     * Completes once, with the reason, if the lock is lost while the handle is open: the lease expired, the backend
     * says another owner has it or it is gone, the session ended, or the backend could not be reached for a whole lease
     * (clause 6). Never completes when the handle is closed normally or by closing the manager. Dependent actions run on
     * the renewal thread or the thread that detected the loss, so keep them short or pass an executor.
     *
     * @return a stage that completes with the {@link LockLoss} if the lock is lost; never completes otherwise
     */
    CompletionStage<LockLoss> lost();

    /**
     * Releases the lock (clause 4). Idempotent and safe from any thread. Never throws for a lock that is already
     * released, lost or expired, and a stale handle never releases a lock that another owner has taken since. If the
     * backend cannot be reached, the failure is logged at warn level and the lock frees when its lease runs out: the
     * guarded work has already run, so failing it here would invite a retry that runs it twice.
     */
    @Override
    void close();
}
