package io.distlock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Hands out {@linkplain LockHandle locks on string keys} that exclude each other across every manager sharing the
 * same backend: other threads, other managers in this JVM, other JVMs (clause 1 of {@code docs/CONTRACT.md}).
 *
 * <p>Locks are owned by their handle, not by a thread, and are not reentrant: asking for a key that a handle of this
 * manager holds fails at once, even on the same thread, because a duplicate request on the same thread is still a
 * duplicate (clause 3).
 *
 * <p><b>Thread safety:</b> implementations are safe for concurrent use by any number of threads; one manager per
 * process and backend is the intended use.
 *
 * <p><b>Results and failures:</b> not getting a lock is a result ({@link Optional#empty()}); an outage is an
 * exception. If the backend cannot answer within the configured operation timeout, every method throws
 * {@link LockBackendException}; it never reports an outage as "held by someone else" and never hangs (clause 9).
 * Invalid keys and durations fail with {@link NullPointerException} or {@link IllegalArgumentException} before any
 * network call (clause 10). After {@link #close()} every method throws {@link IllegalStateException} (clause 11).
 *
 * <p><b>Asynchronous calls:</b> {@link #tryLockAsync(String)} and {@link #tryLockAsync(String, Duration)} keep the
 * same clauses for callers that must not block a thread (event loops, reactive pipelines). Misuse is thrown at the
 * call, as by the blocking calls: an invalid key or wait ({@link NullPointerException},
 * {@link IllegalArgumentException}) and a manager closed before the call ({@link IllegalStateException}); everything
 * that happens after the call starts is in the returned stage: the handle, empty, or an exceptional completion with
 * {@link LockBackendException} for an outage, or {@link IllegalStateException} if the manager is closed while the
 * call waits.
 */
public interface LockManager extends AutoCloseable {

    /**
     * Makes exactly one attempt to take the lock on {@code key}, never waiting (clause 2).
     *
     * <p>If a handle of this manager holds the key, the result is empty without any network call; otherwise the
     * attempt costs one backend round trip. An empty result means that another holder has the key right now.
     *
     * @param key the key, 1 to 1024 UTF-8 bytes of any characters that are not all whitespace
     * @return the handle of the acquired lock, or empty if another holder has the key
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is blank, longer than 1024 UTF-8 bytes or not valid UTF-16
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     * @throws IllegalStateException if this manager is closed
     */
    Optional<LockHandle> tryLock(String key);

    /**
     * Takes the lock on {@code key}, waiting at most {@code wait} for the current holder to release it (clause 8).
     *
     * <p>The wait is woken by the release where the backend can notify, with no busy polling; one deadline covers
     * the wait for a holder in this manager and for a holder elsewhere. A zero wait behaves as
     * {@link #tryLock(String)}.
     *
     * @param key the key, as for {@link #tryLock(String)}
     * @param wait the longest time to wait, zero or positive
     * @return the handle, or empty if the key was still held when the wait ran out
     * @throws InterruptedException if the calling thread is interrupted while waiting; nothing is held then
     * @throws NullPointerException if {@code key} or {@code wait} is null
     * @throws IllegalArgumentException if {@code key} is invalid or {@code wait} is negative
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     * @throws IllegalStateException if this manager is closed, also while the call waits
     */
    Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException;

    /**
     * Takes the lock on {@code key} like {@link #tryLock(String, Duration)}, but throws instead of returning empty.
     *
     * @param key the lock key; see {@link #tryLock(String)} for what is valid
     * @param wait the longest time to wait for the key; zero for a single attempt
     * @return the handle of the acquired lock, never null
     * @throws LockNotAcquiredException if the key was still held when the wait ran out; it carries key and wait
     * @throws InterruptedException if the calling thread is interrupted while waiting; nothing is held then
     * @throws NullPointerException if {@code key} or {@code wait} is null
     * @throws IllegalArgumentException if {@code key} is invalid or {@code wait} is negative
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     * @throws IllegalStateException if this manager is closed
     */
    default LockHandle lock(String key, Duration wait) throws InterruptedException {
        return tryLock(key, wait).orElseThrow(() -> new LockNotAcquiredException(key, wait));
    }

    /**
     * Makes exactly one attempt to take the lock on {@code key}, like {@link #tryLock(String)}, without blocking the
     * calling thread.
     *
     * <p>If a handle of this manager holds the key, the returned stage is already complete (empty), with no network
     * call and no hand-off to another thread. Otherwise the stage completes when the backend answers, at the latest
     * one operation timeout later: with the handle, with empty if another holder has the key, or exceptionally with
     * {@link LockBackendException} (outage) or {@link IllegalStateException} (manager closed meanwhile).
     *
     * <p>Cancelling the stage ({@code toCompletableFuture().cancel(..)}) means the caller holds nothing: a lock the
     * backend grants after the cancellation is released at once. Dependent stages added without an executor run on
     * the thread that completes the stage, which may be a backend client's I/O thread: do not block in them.
     *
     * <p>The default, for implementations written before this method existed, runs {@link #tryLock(String)} on a
     * small shared pool of daemon threads, blocking one of them per call in flight; the managers built by this library
     * override it.
     *
     * @param key the key, as for {@link #tryLock(String)}
     * @return the stage that completes with the handle or empty; never null
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is blank, longer than 1024 UTF-8 bytes or not valid UTF-16
     * @throws IllegalStateException if this manager is closed
     */
    default CompletionStage<Optional<LockHandle>> tryLockAsync(String key) {
        java.util.Objects.requireNonNull(key, "key must not be null");
        return io.distlock.spi.BlockingCallPool.submit(() -> tryLock(key), LockManager::discard);
    }

    /**
     * Takes the lock on {@code key}, waiting at most {@code wait} for the current holder to release it, like
     * {@link #tryLock(String, Duration)}, without blocking a thread while it waits.
     *
     * <p>A waiting call is woken by the backend's release notification (or a re-check when the holder's lease ends)
     * and tries again; one deadline covers the whole call. A key held by a handle of this manager is waited for the
     * same way, woken by the local release without asking the backend. A zero wait behaves as
     * {@link #tryLockAsync(String)}. Results, failures, cancellation and the threads that run dependent stages are as
     * for {@link #tryLockAsync(String)}; cancelling a waiting call ends its wait at once.
     *
     * <p>The default, for implementations written before this method existed, runs
     * {@link #tryLock(String, Duration)} on a small shared pool, blocking one of its threads for the whole wait; the
     * managers built by this library override it.
     *
     * @param key the key, as for {@link #tryLock(String)}
     * @param wait the longest time to wait, zero or positive
     * @return the stage that completes with the handle, or empty if the key was still held when the wait ran out
     * @throws NullPointerException if {@code key} or {@code wait} is null
     * @throws IllegalArgumentException if {@code key} is invalid or {@code wait} is negative
     * @throws IllegalStateException if this manager is closed
     */
    default CompletionStage<Optional<LockHandle>> tryLockAsync(String key, Duration wait) {
        java.util.Objects.requireNonNull(key, "key must not be null");
        java.util.Objects.requireNonNull(wait, "wait must not be null");
        return io.distlock.spi.BlockingCallPool.submit(() -> tryLock(key, wait), LockManager::discard);
    }

    /**
     * The operators' view of this manager's backend: who holds a key, which keys are held, and force-release. Every
     * backend of this library supports it.
     *
     * @return the inspector; never null
     * @throws UnsupportedOperationException if this manager's backend cannot be inspected (the default, for
     *                                       implementations written before this method existed)
     * @throws IllegalStateException if this manager is closed
     */
    default LockInspector inspector() {
        throw new UnsupportedOperationException(getClass().getName() + " cannot be inspected");
    }

    /** Releases a handle that a cancelled asynchronous call got after all. */
    private static void discard(Optional<LockHandle> handle) {
        handle.ifPresent(LockHandle::close);
    }

    /**
     * Releases every handle this manager still holds, stops its renewals and closes what the manager owns (a client
     * it created), but not what the caller owns (a client passed to a builder). Idempotent; never throws for a
     * backend that cannot be reached, whose locks then expire with their lease (clause 11).
     */
    @Override
    void close();
}
