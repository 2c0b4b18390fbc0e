package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fencing (clause 7): every acquisition of a key gets a larger token than every earlier one, whichever manager takes
 * it, so a resource that remembers the largest token it saw can reject a stale holder by order.
 */
public abstract class FencingTck extends AbstractTck {

    @Test
    @DisplayName("clause 7.1: tokens strictly increase across acquisitions of a key by alternating managers")
    void tokensIncreaseAcrossManagers() {
        LockManager a = newManager();
        LockManager b = newManager();
        String key = randomKey("fencing");
        long last = 0;
        for (int i = 0; i < 20; i++) {
            LockManager manager = i % 2 == 0 ? a : b;
            try (LockHandle handle = lockFree(manager, key, "7.1")) {
                assertThat(handle.fencingToken())
                        .as(clause("7.1", "acquisition #%d of %s got token %d after %d", i, key, handle.fencingToken(),
                                last))
                        .isGreaterThan(last);
                last = handle.fencingToken();
            }
        }
    }

    @Test
    @DisplayName("clause 7.1: a token stays the same for the life of a handle, across renewals")
    void tokenIsStableWhileHeld() {
        LockManager manager = newManager(shortLeaseSettings(true));
        String key = randomKey("stable-token");
        Duration lease = backend().shortLease();
        try (LockHandle handle = lockFree(manager, key, "7.1")) {
            long token = handle.fencingToken();
            long acquiredAt = System.nanoTime();
            // isHeld() follows the lease deadline of the last confirmed renewal: still held more than a lease after
            // the acquisition proves that a renewal was confirmed in between (or that the backend keeps locks by
            // session, which needs none).
            Awaitility.await("clause 5.1: " + key + " still held more than a lease after it was taken")
                    .atMost(soon().plus(lease.multipliedBy(2))).pollInterval(Duration.ofMillis(20))
                    .until(() -> !handle.isHeld()
                            || System.nanoTime() - acquiredAt > lease.plus(lease.dividedBy(10)).toNanos());
            assertThat(handle.isHeld()).as(clause("5.1", "%s was not renewed within its lease", key)).isTrue();
            assertThat(handle.fencingToken()).as(clause("7.1", "token of %s changed while held", key))
                    .isEqualTo(token);
        }
    }

    @Test
    @DisplayName("clause 7.4: a resource guarded by tokens rejects the stale holder after a fixed lease ran out")
    void resourceRejectsStaleHolder() {
        assumeCapability(TckBackend.Capability.FIXED_LEASE);
        LockManager stale = newManager(shortLeaseSettings(false));
        LockManager next = newManager();
        String key = randomKey("fenced-resource");
        FencedResource resource = new FencedResource();
        LockHandle old = lockFree(stale, key, "7.4");
        LockHandle current = awaitFree(next, key, "7.4", "frees after the lease");
        try (current; old) {
            assertThat(resource.write(current.fencingToken())).isTrue();
            assertThat(resource.write(old.fencingToken()))
                    .as(clause("7.4", "the stale holder of %s (token %d) was not rejected after token %d", key,
                            old.fencingToken(), current.fencingToken()))
                    .isFalse();
        }
    }

    /** The resource side of fencing: accepts a write only with a token at least as large as every one seen. */
    private static final class FencedResource {
        private long highest;

        synchronized boolean write(long token) {
            if (token < highest) {
                return false;
            }
            highest = token;
            return true;
        }
    }
}
