package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockLoss;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What a backend implements: the few remote operations on one key that {@link LockManagerCore} builds a complete
 * {@link io.distlock.LockManager} from. The core validates keys and durations, applies the key prefix, keeps the local
 * table of held keys, renews leases, waits with one deadline and reports losses; a backend only talks to its store.
 *
 * <p>Keys passed here are already validated and prefixed: any characters, at most 1024 + 256 UTF-8 bytes. Each
 * backend encodes them as its store needs, without collisions between distinct keys.
 *
 * <p>Owners are opaque strings that the core makes unique per handle: at most 256 printable ASCII characters
 * ({@code '!'} to {@code '~'}, no spaces). They begin with a unique id and carry a description of the acquisition
 * (manager name, thread, acquired-at) that {@link LockInspection} shows to operators; a backend stores the whole
 * string with the lock in the acquiring request and compares it whole. A lock belongs to its owner: release and
 * renew must act only if the stored owner matches, atomically.
 *
 * <p><b>Timeouts and failures:</b> every method must return or throw {@link LockBackendException} within the
 * operation timeout the backend was built with, and must never report an outage as "held by another owner".
 * The methods that take a {@code deadlineNanos} must also give up by that absolute deadline on the
 * {@link System#nanoTime()} scale (the core passes what is left of a caller's bounded wait, never more than one
 * operation timeout from now); {@link BoundedAwait#until} waits for a client's future that way. Other exceptions,
 * including {@link Error}s other than {@link VirtualMachineError} and checked exceptions thrown sneakily, are
 * wrapped by the core as {@link LockBackendException}; a null where a result is required is an outage too, never
 * "held". Implementations must be thread safe.
 *
 * <p><b>Compensating release:</b> after any exception from {@code tryAcquire} the core does not know whether the
 * store granted the lock (a request that timed out may still be run by a slow or paused server), so it calls
 * {@link #release} for that owner from a background thread, with back-off, until a lease has passed. Release is
 * owner-checked, so this is always safe; backends need no clean-up of their own for ambiguous acquisitions.
 *
 * <p><b>Evolution:</b> the deadline and batch methods have defaults that adapt the per-call methods, so a backend
 * written against the first form of this interface keeps working; overriding them makes bounded waits exact
 * ({@link #tryAcquire(String, String, Duration, long)}) and renewal cheap ({@link #renewAll}).
 */
public interface LockBackend extends AutoCloseable {

    /**
     * A short name for messages and thread names.
     *
     * @return e.g. {@code redis}
     */
    String name();

    /**
     * One atomic attempt to take {@code key} for {@code owner} with the given lease. On success the lock's
     * fencing token is computed in the same atomic step and is larger than every token issued for this key before.
     *
     * @param key the prefixed key
     * @param owner the owner to acquire it for
     * @param lease how long the lock lives unless renewed
     * @return the outcome; never null
     * @throws LockBackendException if the store could not answer in time or failed
     */
    AcquireResult tryAcquire(String key, String owner, Duration lease);

    /**
     * As {@link #tryAcquire(String, String, Duration)}, giving up by {@code deadlineNanos}. The core calls this form;
     * inside a bounded wait the deadline is what is left of the wait (at least a tenth of an operation timeout),
     * otherwise one operation timeout from now. The default ignores the deadline and calls the three-argument form,
     * which is bounded by the full operation timeout.
     *
     * @param key the prefixed key
     * @param owner the owner to acquire it for
     * @param lease the lease
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return the outcome; never null
     * @throws LockBackendException if the store could not answer by the deadline or failed
     */
    default AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
        return tryAcquire(key, owner, lease);
    }

    /**
     * As {@link #tryAcquire(String, String, Duration, long)}, without blocking the calling thread: the core calls this
     * form for {@link io.distlock.LockManager#tryLockAsync}. The stage completes with the outcome (never null) or
     * exceptionally, by {@code deadlineNanos}; it may complete on any thread, including the client's I/O thread, and
     * the core never cancels it (it releases a lock granted after its caller gave up, as after any failure). The core
     * may call this from a backend's event thread (a release notification), so it must not block.
     *
     * <p>The default runs the blocking form on {@link BlockingCallPool}, one pool thread blocked per call in flight,
     * so every backend has it; a backend whose client is asynchronous overrides it.
     *
     * @param key the prefixed key
     * @param owner the owner to acquire it for
     * @param lease the lease
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return the stage of the outcome; never null
     */
    default CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                           long deadlineNanos) {
        return BlockingCallPool.submit(() -> tryAcquire(key, owner, lease, deadlineNanos), null);
    }

    /**
     * Releases {@code key} if {@code owner} holds it and notifies waiters; does nothing otherwise. Must complete even
     * when the calling thread is interrupted (keep its interrupt flag set). The core also calls it for owners whose
     * acquisition failed (see "Compensating release" above): it must be harmless when the owner holds nothing.
     *
     * @param key the prefixed key
     * @param owner the owner whose lock to release
     * @return true if the lock was held by {@code owner} and is now released
     * @throws LockBackendException if the store could not answer in time or failed
     */
    boolean release(String key, String owner);

    /**
     * Extends the lease of {@code key} if {@code owner} still holds it. Only called when {@link #needsRenewal()}, and
     * by the core only through the defaults of {@link #renewAll} and {@link #renewAllAsync}.
     *
     * @param key the prefixed key
     * @param owner the owner that holds it
     * @param lease the new lease from now
     * @return true if {@code owner} still holds the key and its lease now ends {@code lease} from now
     * @throws LockBackendException if the store could not answer in time or failed
     */
    boolean renew(String key, String owner, Duration lease);

    /**
     * Renews many locks in as few requests as the store allows, giving up by {@code deadlineNanos}. The core calls
     * it through the default {@link #renewAllAsync}, from a background thread, with batches of at most {@link #renewalBatchSize()} locks with
     * distinct keys, and never waits for it to report a loss: a lock whose renewal does not come back in time is
     * reported lost when its lease has run out. A backend overrides it to send one request per group it can renew
     * atomically together (one script per Redis hash slot group, one call per Hazelcast partition owner), groups in
     * parallel. The default renews one key after another with {@link #renew}; keys not reached by the deadline, and
     * keys whose renewal threw, are {@link RenewalResult.Status#FAILED}.
     *
     * @param renewals the locks to renew, distinct keys
     * @param lease the new lease of each
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return one result per renewal, in the same order; never null
     * @throws LockBackendException if the whole batch failed (every lock of it counts as {@code FAILED})
     */
    default List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        List<RenewalResult> results = new ArrayList<>(renewals.size());
        for (Renewal renewal : renewals) {
            if (deadlineNanos - System.nanoTime() <= 0) {
                results.add(RenewalResult.failed(new LockBackendException("renewal of '" + renewal.key() + "' on "
                        + name() + " not sent: the batch ran out of time")));
                continue;
            }
            try {
                results.add(renew(renewal.key(), renewal.owner(), lease) ? RenewalResult.renewed()
                        : RenewalResult.notOwner());
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                // One key's failure, even an Error, must not fail the renewal of the others.
                results.add(RenewalResult.failed(e));
            }
        }
        return results;
    }

    /**
     * As {@link #renewAll}, without blocking the calling thread: the core calls only this form, so that many batches
     * can be at the store at once without a thread each. The core keeps at most a fixed number of batches in flight
     * per manager and treats a batch whose stage has not completed one operation timeout after its deadline as
     * failed, so a stage that never completes cannot stop renewals; the stage should complete by
     * {@code deadlineNanos}, normally with one result per renewal in order, exceptionally if the whole batch failed
     * (every lock of it then counts as {@link RenewalResult.Status#FAILED}). It may complete on any thread (a
     * client's I/O thread): the core handles the results on its own renewal threads.
     *
     * <p>The default calls the blocking {@link #renewAll} on the calling thread (a renewal thread of the core, which
     * has two), so a backend that does not override it keeps working as before: at most two of its batches are in
     * flight at once. A backend whose client is asynchronous overrides it.
     *
     * @param renewals the locks to renew, distinct keys
     * @param lease the new lease of each
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return the stage of one result per renewal, in the same order; never null
     */
    default CompletionStage<List<RenewalResult>> renewAllAsync(List<Renewal> renewals, Duration lease,
                                                               long deadlineNanos) {
        return CompletableFuture.completedFuture(renewAll(renewals, lease, deadlineNanos));
    }

    /**
     * The most locks the core passes to one {@link #renewAll} call. Default 100, Redisson's batch size for its
     * watchdog; a backend may make it configurable.
     *
     * @return a positive batch size
     */
    default int renewalBatchSize() {
        return 100;
    }

    /**
     * Calls {@code onRelease} (on any thread, quickly) whenever {@code key} may have become free: released, expired
     * or deleted. Spurious calls are allowed; missed ones only delay a waiter until its next re-check. The core
     * subscribes before it tries, so a release between the attempt and the wait is never missed.
     *
     * @param key the prefixed key
     * @param onRelease called whenever the key may have become free
     * @return the subscription, closed by the core when it stops waiting
     * @throws LockBackendException if the subscription could not be made in time
     */
    Subscription subscribe(String key, Runnable onRelease);

    /**
     * As {@link #subscribe(String, Runnable)}, giving up by {@code deadlineNanos} (what is left of the caller's
     * wait). The default ignores the deadline.
     *
     * @param key the prefixed key
     * @param onRelease called whenever the key may have become free
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return the subscription; never null
     * @throws LockBackendException if the subscription could not be made by the deadline
     */
    default Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        return subscribe(key, onRelease);
    }

    /**
     * As {@link #subscribe(String, Runnable, long)}, without blocking the calling thread; same rules as
     * {@link #tryAcquireAsync}. The default runs the blocking form on {@link BlockingCallPool}; a subscription made
     * after the core stopped waiting for it is closed.
     *
     * @param key the prefixed key
     * @param onRelease called whenever the key may have become free
     * @param deadlineNanos when to give up, on the {@link System#nanoTime()} scale
     * @return the stage of the subscription; never null
     */
    default CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        return BlockingCallPool.submit(() -> subscribe(key, onRelease, deadlineNanos), Subscription::close);
    }

    /**
     * Whether leases are kept alive by {@link #renew}. A backend whose locks live as long as a client session (such as
     * ZooKeeper's ephemeral nodes) returns false and reports session loss through its {@link LossListener}.
     *
     * @return true by default
     */
    default boolean needsRenewal() {
        return true;
    }

    /**
     * Called once by the core before any other call, with where to report locks that the backend itself finds lost
     * (session expiry, a deleted node). Backends that only learn of losses through {@link #renew} ignore it.
     *
     * @param listener where to report losses; thread safe
     */
    default void setLossListener(LossListener listener) {
    }

    /** Closes what this backend owns (a client it created); not a client the caller passed in. Idempotent. */
    @Override
    void close();

    /** A release subscription; closing it is idempotent and never throws. */
    @FunctionalInterface
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** Where a backend reports a lock it found lost on its own. Thread safe; may be called from any thread. */
    @FunctionalInterface
    interface LossListener {
        /**
         * Reports that {@code owner} no longer holds {@code key} (the prefixed key the backend was given).
         * Reports for owners the core no longer tracks are ignored.
         *
         * @param key the prefixed key
         * @param owner the owner that lost it
         * @param reason what the backend observed
         * @param cause the failure behind it, or null
         */
        void lost(String key, String owner, LockLoss.Reason reason, Throwable cause);
    }
}
