package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** Release (clause 4): close releases, is idempotent, and a stale handle never releases the next holder's lock. */
public abstract class ReleaseTck extends AbstractTck {

    @Test
    @DisplayName("clause 4.1: after close another manager can take the key at once")
    void closeReleases() {
        LockManager a = newManager();
        LockManager b = newManager();
        String key = randomKey("release");
        LockHandle first = lockFree(a, key, "4.1");
        first.close();
        assertThat(first.isHeld()).as(clause("4.4", "handle of %s reports held after close", key)).isFalse();
        try (LockHandle second = lockFree(b, key, "4.1")) {
            assertThat(second.isHeld()).isTrue();
        }
    }

    @Test
    @DisplayName("clause 4.1: after close the same manager can take the key again")
    void closeReleasesForSameManager() {
        LockManager a = newManager();
        String key = randomKey("release-same");
        lockFree(a, key, "4.1").close();
        lockFree(a, key, "4.1").close();
    }

    @Test
    @DisplayName("clause 4.2: close is idempotent and never throws, also after the key was taken again")
    void closeIsIdempotent() {
        LockManager a = newManager();
        LockManager b = newManager();
        String key = randomKey("idempotent");
        LockHandle first = lockFree(a, key, "4.2");
        first.close();
        try (LockHandle second = lockFree(b, key, "4.2")) {
            assertThatCode(first::close).as(clause("4.2", "second close of %s threw", key)).doesNotThrowAnyException();
            assertThat(second.isHeld())
                    .as(clause("4.2", "a second close of an old handle released the new holder of %s", key)).isTrue();
            assertThat(a.tryLock(key)).as(clause("4.2", "%s was free after an old handle was closed twice", key))
                    .isEmpty();
        }
    }

    @Test
    @DisplayName("clause 4.3: close of a handle whose lock the store lost must not release the next holder's lock")
    void staleCloseAfterDataLossKeepsNextHoldersLock() {
        TckBackend.Faults faults = faults();
        LockManager stale = newManager();
        LockManager next = newManager();
        LockManager third = newManager();
        String key = randomKey("stale-after-loss");
        LockHandle old = lockFree(stale, key, "4.3");
        faults.loseAllLocks();
        // The next holder may need the store to notice first (e.g. a session expiry), so it tries for a while.
        LockHandle current = awaitFree(next, key, "4.3", "free after the store lost it");
        try (current) {
            // The old handle may not have noticed the loss yet: its close reaches the store and must check ownership.
            assertThatCode(old::close).as(clause("4.3", "closing the stale handle of %s threw", key))
                    .doesNotThrowAnyException();
            assertThat(third.tryLock(key))
                    .as(clause("4.3", "closing a stale handle released the next holder's lock on %s", key)).isEmpty();
            assertThat(current.isHeld()).as(clause("4.3", "the next holder of %s lost it", key)).isTrue();
        }
    }

    @Test
    @DisplayName("clause 4.3: close of a handle whose lock someone else deleted must not release the next holder's "
            + "lock")
    void staleCloseAfterForeignDeleteKeepsNextHoldersLock() {
        TckBackend.Faults faults = faults();
        LockManager stale = newManager();
        LockManager next = newManager();
        LockManager third = newManager();
        String key = randomKey("stale-after-delete");
        LockHandle old = lockFree(stale, key, "4.3");
        deleteLock(faults, key);
        LockHandle current = awaitFree(next, key, "4.3", "free after a foreign delete");
        try (current) {
            assertThatCode(old::close).as(clause("4.3", "closing the stale handle of %s threw", key))
                    .doesNotThrowAnyException();
            assertThat(third.tryLock(key))
                    .as(clause("4.3", "closing a deleted handle released the next holder's lock on %s", key)).isEmpty();
            assertThat(current.isHeld()).as(clause("4.3", "the next holder of %s lost it", key)).isTrue();
        }
    }

    @Test
    @DisplayName("clause 4.3: close after lease loss must not release the next holder's lock")
    void staleCloseKeepsNextHoldersLock() {
        assumeCapability(TckBackend.Capability.FIXED_LEASE);
        LockManager stale = newManager(shortLeaseSettings(false));
        LockManager next = newManager();
        LockManager third = newManager();
        String key = randomKey("stale-close");
        LockHandle old = lockFree(stale, key, "4.3");
        LockHandle current = awaitFree(next, key, "4.3", "frees after the fixed lease");
        try (current) {
            assertThatCode(old::close).as(clause("4.3", "closing the stale handle of %s threw", key))
                    .doesNotThrowAnyException();
            assertThat(third.tryLock(key))
                    .as(clause("4.3", "closing a stale handle released the next holder's lock on %s", key)).isEmpty();
            assertThat(current.isHeld()).as(clause("4.3", "the next holder of %s lost it", key)).isTrue();
        }
    }
}
