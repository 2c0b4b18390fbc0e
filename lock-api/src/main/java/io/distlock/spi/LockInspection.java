package io.distlock.spi;

import io.distlock.LockBackendException;

import java.util.List;

/**
 * The optional ability of a {@link LockBackend} to show operators what its store holds: the holder of one key, and the
 * held keys under a prefix, page by page. A backend implements this interface beside {@link LockBackend}; the core
 * then offers {@link io.distlock.LockManager#inspector()} on top of it. Force-release needs nothing more: the core
 * reads the holder and calls the owner-checked {@link LockBackend#release} for exactly that owner, so a lock taken by
 * someone else in between is never released by mistake.
 *
 * <p>Keys passed in and returned are prefixed keys, as everywhere in this package; the core adds and strips the
 * manager's prefix. Only locks that are held right now are returned: a stored record whose lease ran out, or a
 * released row a store keeps for its fencing counter, is not a lock.
 *
 * <p><b>Timeouts and failures:</b> as for every {@link LockBackend} method: return or throw
 * {@link LockBackendException} by {@code deadlineNanos} ({@link System#nanoTime()} scale); never report an outage as
 * "not held". Thread safe.
 */
public interface LockInspection {

    /**
     * The lock on {@code key} as the store holds it now.
     *
     * @param key the prefixed key
     * @param deadlineNanos when to give up
     * @return the lock, or null if nobody holds {@code key}
     * @throws LockBackendException if the store could not answer by the deadline or failed
     */
    StoredLock read(String key, long deadlineNanos);

    /**
     * One page of the locks held now whose prefixed key starts with {@code keyPrefix}, in the store's order. Pages are
     * weakly consistent, as a Redis SCAN is: a lock held for the whole listing is returned at least once (callers
     * drop repeats by key), a lock taken or released meanwhile may or may not be.
     *
     * @param keyPrefix the prefix of prefixed keys to list; the manager's own prefix at least
     * @param cursor null for the first page, else {@link Page#nextCursor()} of the page before
     * @param limit the most locks to return, 1 to 1000; a page may hold fewer even when more follow
     * @param deadlineNanos when to give up
     * @return the page; never null
     * @throws LockBackendException if the store could not answer by the deadline or failed
     * @throws IllegalArgumentException if {@code cursor} is not one this backend returned
     */
    Page list(String keyPrefix, String cursor, int limit, long deadlineNanos);

    /**
     * One page of {@link #list}.
     *
     * @param locks the locks of this page, possibly none
     * @param nextCursor where the next page starts, or null if this was the last page
     */
    record Page(List<StoredLock> locks, String nextCursor) {
        /**
         * Copies the list.
         *
         * @param locks see the record
         * @param nextCursor see the record
         *
         * @throws NullPointerException if {@code locks} is null
         */
        public Page {
            locks = List.copyOf(locks);
        }
    }
}
