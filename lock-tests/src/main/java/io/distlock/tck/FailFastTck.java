package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fail fast and no reentrancy (clauses 2 and 3): a held key is refused at once, by the holder's own manager without
 * asking the backend, and even to the thread that holds it.
 */
public abstract class FailFastTck extends AbstractTck {

    @Test
    @DisplayName("clause 2.1: tryLock on a key held by another manager returns empty while the holder keeps it")
    void heldElsewhereFailsFast() {
        LockManager holder = newManager();
        LockManager other = newManager();
        String key = randomKey("held-elsewhere");
        try (LockHandle held = lockFree(holder, key, "2.1")) {
            Optional<LockHandle> second = other.tryLock(key);
            assertThat(second).as(clause("2.1", "a second manager got %s while it was held", key)).isEmpty();
            assertThat(held.isHeld()).as(clause("2.1", "the holder lost %s after a failed attempt", key)).isTrue();
        }
    }

    @Test
    @DisplayName("clause 3.1: the thread that holds a key cannot take it again (no reentrancy)")
    void sameThreadIsNotReentrant() {
        LockManager manager = newManager();
        String key = randomKey("not-reentrant");
        try (LockHandle held = lockFree(manager, key, "3.1")) {
            assertThat(manager.tryLock(key)).as(clause("3.1", "the holding thread took %s twice", key)).isEmpty();
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    @DisplayName("clause 2.2: a key held by the same manager is refused without a backend call (answers even during an outage)")
    void heldBySameManagerNeedsNoRoundTrip() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager();
        String key = randomKey("local-fail-fast");
        try (LockHandle held = lockFree(manager, key, "2.2")) {
            faults.startOutage();
            try {
                // With the backend unreachable, any backend call would throw; an empty answer proves none was made.
                assertThat(manager.tryLock(key))
                        .as(clause("2.2", "tryLock of %s held by the same manager was not refused locally", key))
                        .isEmpty();
            } finally {
                faults.endOutage();
            }
        }
    }

    @Test
    @DisplayName("clause 3.2: a handle can be closed from another thread than the one that acquired it")
    void closeFromAnotherThread() throws Exception {
        LockManager manager = newManager();
        LockManager other = newManager();
        String key = randomKey("close-elsewhere");
        LockHandle held = lockFree(manager, key, "3.2");
        new Workers("closer").start(held::close).join(soon());
        assertThat(held.isHeld()).as(clause("3.2", "handle of %s still held after close on another thread", key))
                .isFalse();
        try (LockHandle next = lockFree(other, key, "3.2")) {
            assertThat(next.isHeld()).isTrue();
        }
    }
}
