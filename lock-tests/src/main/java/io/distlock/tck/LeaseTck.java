package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Leases and lost locks (clauses 5 and 6): renewal keeps a lock across many leases; without renewal the key frees
 * within a lease and the old handle knows; a lock that disappears or cannot be renewed is reported lost, never
 * silently.
 */
public abstract class LeaseTck extends AbstractTck {

    @Test
    @DisplayName("clause 5.1: with renewal a lock stays held across several lease periods")
    void renewalKeepsLock() throws Exception {
        LockManager holderManager = newManager(shortLeaseSettings(true));
        LockManager other = newManager();
        String key = randomKey("renewal");
        Duration lease = backend().shortLease();
        try (LockHandle held = lockFree(holderManager, key, "5.1")) {
            long end = System.nanoTime() + lease.multipliedBy(4).toNanos();
            // Probing from another manager over four leases: any moment the key is free is a failure.
            while (System.nanoTime() < end) {
                assertThat(other.tryLock(key))
                        .as(clause("5.1", "%s was free while renewed (lease %s)", key, lease)).isEmpty();
                TimeUnit.MILLISECONDS.sleep(Math.max(10, lease.toMillis() / 6));
            }
            assertThat(held.isHeld()).as(clause("5.1", "renewed handle of %s reports not held", key)).isTrue();
            assertThat(held.lost().toCompletableFuture().isDone())
                    .as(clause("6.4", "a renewed lock on %s was reported lost", key)).isFalse();
        }
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 5.2, 6.1: without renewal the key frees within one lease, and the old handle reports it lost")
    void fixedLeaseExpires() {
        assumeCapability(TckBackend.Capability.FIXED_LEASE);
        LockManager holderManager = newManager(shortLeaseSettings(false));
        LockManager other = newManager();
        String key = randomKey("fixed-lease");
        Duration lease = backend().shortLease();
        // Timed from before the request: the store starts the lease when it grants, which is after the request was
        // sent but may be well before the reply arrives on a loaded machine (a slow reply shortened the measured
        // hold by more than the tolerance below).
        long requestedAt = System.nanoTime();
        LockHandle old = lockFree(holderManager, key, "5.2");
        LockHandle next = awaitFree(other, key, "5.2", "frees after a fixed lease");
        try (next) {
            Duration freedAfter = Duration.ofNanos(System.nanoTime() - requestedAt);
            assertThat(freedAfter).as(clause("5.2", "%s freed after %s, before its lease %s", key, freedAfter, lease))
                    .isGreaterThanOrEqualTo(lease.minusMillis(50));
            assertThat(old.isHeld()).as(clause("6.1", "expired handle of %s reports held", key)).isFalse();
            LockLoss loss = awaitLoss(old, soon(), "6.1", "reported after its fixed lease");
            assertThat(loss.key()).isEqualTo(key);
            assertThat(loss.fencingToken()).isEqualTo(old.fencingToken());
            assertThat(next.fencingToken()).as(clause("7.2", "token after expiry of %s is not larger", key))
                    .isGreaterThan(old.fencingToken());
        } finally {
            old.close();
        }
    }

    @Test
    @DisplayName("clause 6.2: a renewal that finds the lock gone marks the handle lost and notifies")
    void renewalFindsLockGone() {
        TckBackend.Faults faults = faults();
        LockManager holderManager = newManager(shortLeaseSettings(true));
        String key = randomKey("gone");
        try (LockHandle held = lockFree(holderManager, key, "6.2")) {
            faults.loseAllLocks();
            LockLoss loss = Awaitility.await("clause 6.2: loss of " + key + " reported").atMost(soon())
                    .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(loss.reason()).as(clause("6.2", "reason for the loss of %s", key))
                    .isIn(LockLoss.Reason.NOT_OWNER, LockLoss.Reason.SESSION_LOST);
            assertThat(held.isHeld()).as(clause("6.2", "lost handle of %s reports held", key)).isFalse();
        }
        // After the loss the key can be taken again, with a larger token than any before.
        lockFree(newManager(), key, "6.2").close();
    }

    @Test
    @DisplayName("clause 6.3: a backend unreachable for longer than the lease makes the handle lost, not silently held")
    void outageLongerThanLeaseLosesLock() {
        TckBackend.Faults faults = faults();
        LockManager holderManager = newManager(shortLeaseSettings(true));
        String key = randomKey("unreachable");
        try (LockHandle held = lockFree(holderManager, key, "6.3")) {
            faults.startOutage();
            try {
                Awaitility.await("clause 6.3: isHeld of " + key + " turns false during the outage")
                        .atMost(soon()).until(() -> !held.isHeld());
                LockLoss loss = Awaitility.await("clause 6.3: loss of " + key + " reported").atMost(soon().multipliedBy(2))
                        .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
                assertThat(loss.reason()).isIn(LockLoss.Reason.BACKEND_UNREACHABLE, LockLoss.Reason.SESSION_LOST,
                        LockLoss.Reason.NOT_OWNER);
            } finally {
                faults.endOutage();
            }
        }
    }

    @Test
    @DisplayName("clause 4.1, 6.4: a handle closed normally is never reported lost, and no late renewal takes the key "
            + "again within a lease after close")
    void normalCloseIsNotALoss() {
        LockManager manager = newManager(shortLeaseSettings(true));
        LockManager other = newManager();
        String key = randomKey("not-lost");
        Duration lease = backend().shortLease();
        LockHandle held = lockFree(manager, key, "6.4");
        // Across at least one renewal, so a renewal can be in flight or scheduled when close() runs.
        Awaitility.await().pollDelay(lease.dividedBy(2)).atMost(soon()).until(held::isHeld);
        held.close();
        // Late races show up late: for a whole lease after close the key stays free for anyone and nothing reports
        // the closed handle lost.
        Awaitility.await("clause 4.1, 6.4: " + key + " stays free and not lost for a lease after close")
                .during(lease).atMost(soon().plus(lease.multipliedBy(2)))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    java.util.Optional<LockHandle> probe = other.tryLock(key);
                    probe.ifPresent(LockHandle::close);
                    return probe.isPresent() && !held.lost().toCompletableFuture().isDone();
                });
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 6.2: a lock deleted by someone else is reported lost within about one lease, never silently")
    void foreignDeleteIsReportedLost() {
        TckBackend.Faults faults = faults();
        LockManager holderManager = newManager(shortLeaseSettings(true));
        String key = randomKey("deleted");
        Duration lease = backend().shortLease();
        try (LockHandle held = lockFree(holderManager, key, "6.2")) {
            deleteLock(faults, key);
            Duration bound = lease.plus(backend().settings().operationTimeout()).plus(lease.dividedBy(2));
            LockLoss loss = awaitLoss(held, bound, "6.2", "after a foreign delete, within a lease plus a timeout");
            assertThat(loss.reason()).as(clause("6.2", "reason for the loss of deleted %s", key))
                    .isIn(LockLoss.Reason.NOT_OWNER, LockLoss.Reason.SESSION_LOST);
            assertThat(held.isHeld()).as(clause("6.2", "deleted handle of %s reports held", key)).isFalse();
        }
    }
}
