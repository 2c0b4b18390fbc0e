package io.distlock;

import java.time.Duration;
import java.util.Optional;

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
     * Releases every handle this manager still holds, stops its renewals and closes what the manager owns (a client
     * it created), but not what the caller owns (a client passed to a builder). Idempotent; never throws for a
     * backend that cannot be reached, whose locks then expire with their lease (clause 11).
     */
    @Override
    void close();
}
