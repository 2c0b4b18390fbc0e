package io.distlock;

import java.util.List;
import java.util.Optional;

/**
 * Shows operators what the backend holds and lets them free a stuck lock: who holds a key, which keys are held under a
 * prefix, and an audited force-release. Got from {@link LockManager#inspector()}; it sees every holder of the backend,
 * not only this manager's, and works through the manager's connection, prefix and operation timeout.
 *
 * <p><b>Thread safety:</b> safe for concurrent use. <b>Failures:</b> as for {@link LockManager}: invalid keys fail
 * before any network call, an outage throws {@link LockBackendException} within the operation timeout and is never
 * reported as "not held", and every method throws {@link IllegalStateException} after the manager is closed.
 */
public interface LockInspector {

    /**
     * The current holder of {@code key}.
     *
     * @param key the key, as for {@link LockManager#tryLock(String)}
     * @return the holder, or empty if nobody holds it now
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException if {@code key} is invalid
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     */
    Optional<LockInfo> holder(String key);

    /**
     * One page of the keys held now that start with {@code keyPrefix} (under the manager's own key prefix). Listing is
     * weakly consistent: a key held throughout appears, possibly more than once across pages; keys taken or released
     * meanwhile may or may not.
     *
     * @param keyPrefix the start of the keys to list; empty for all of this manager's prefix
     * @param cursor null for the first page, else {@link Page#nextCursor()} of the previous page
     * @param limit the most locks per page, 1 to 1000; a page may hold fewer even when more follow
     * @return the page; never null
     * @throws NullPointerException if {@code keyPrefix} is null
     * @throws IllegalArgumentException if {@code limit} is out of range or {@code cursor} is not one this backend gave
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     */
    Page list(String keyPrefix, String cursor, int limit);

    /**
     * Frees {@code key} from whoever holds it, for an incident: the current holder is read, then released with an
     * owner check, so a lock that changed hands in between is left alone (the result is then empty). Logged at WARN
     * on logger {@code io.distlock.inspection} with the holder and {@code reason}. The holder finds out at its next
     * renewal (or at once where the backend watches its locks) and reports {@link LockHandle#lost()}; until then its
     * {@link LockHandle#isHeld()} may still say true, so fence writes with {@link LockHandle#fencingToken()}.
     *
     * @param key the key, as for {@link LockManager#tryLock(String)}
     * @param reason why, for the audit log; not blank
     * @return the holder that was released, or empty if nobody held it (or it changed hands meanwhile)
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code key} is invalid or {@code reason} blank
     * @throws LockBackendException if the backend did not answer within the operation timeout or failed
     */
    Optional<LockInfo> forceRelease(String key, String reason);

    /**
     * One page of {@link #list}.
     *
     * @param locks the held locks of this page, possibly none
     * @param nextCursor where the next page starts, or null if this was the last page
     */
    record Page(List<LockInfo> locks, String nextCursor) {
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
