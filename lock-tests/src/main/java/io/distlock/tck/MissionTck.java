package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mission (clauses 1 and 2): two identical requests released together, on two threads of one replica and on two
 * replicas, give exactly one handle and one empty result, and the loser does not wait for the winner: the winner
 * keeps its lock until the loser has answered, so a loser that waited would never answer.
 */
public abstract class MissionTck extends AbstractTck {

    private static final int ROUNDS = 200;

    @Test
    @DisplayName("clause 1.1, 2.1: two concurrent requests on one manager: exactly one wins, the other fails without waiting")
    void duplicateRequestsOnOneReplica() throws Exception {
        LockManager replica = newManager();
        runRounds(replica, replica, "one-replica");
    }

    @Test
    @DisplayName("clause 1.1, 2.1: two concurrent requests on two managers (replicas): exactly one wins, the other fails without waiting")
    void duplicateRequestsOnTwoReplicas() throws Exception {
        runRounds(newManager(), newManager(), "two-replicas");
    }

    private void runRounds(LockManager first, LockManager second, String hint) throws Exception {
        for (int round = 0; round < ROUNDS; round++) {
            String key = randomKey("mission-" + hint + "-" + round);
            CyclicBarrier start = new CyclicBarrier(2);
            CountDownLatch bothAnswered = new CountDownLatch(2);
            AtomicReference<Optional<LockHandle>> a = new AtomicReference<>();
            AtomicReference<Optional<LockHandle>> b = new AtomicReference<>();
            Workers workers = new Workers("mission-" + hint);
            workers.start(() -> request(first, key, start, bothAnswered, a));
            workers.start(() -> request(second, key, start, bothAnswered, b));
            workers.join(soon());
            int winners = (a.get().isPresent() ? 1 : 0) + (b.get().isPresent() ? 1 : 0);
            assertThat(winners)
                    .as(clause("1.1", "round %d of key %s: %d of 2 duplicate requests got the lock, expected exactly 1",
                            round, key, winners))
                    .isEqualTo(1);
        }
    }

    /** Takes the lock, and if it won keeps it until both requests have answered, then releases it. */
    private void request(LockManager manager, String key, CyclicBarrier start, CountDownLatch bothAnswered,
                         AtomicReference<Optional<LockHandle>> result) throws Exception {
        start.await(soon().toMillis(), TimeUnit.MILLISECONDS);
        Optional<LockHandle> handle = manager.tryLock(key);
        result.set(handle);
        bothAnswered.countDown();
        if (handle.isPresent()) {
            try (LockHandle held = handle.get()) {
                Duration bound = soon();
                assertThat(bothAnswered.await(bound.toMillis(), TimeUnit.MILLISECONDS))
                        .as(clause("2.1", "the duplicate request for %s did not answer within %s while the lock was "
                                + "held: tryLock waited for the holder", key, bound))
                        .isTrue();
                assertThat(held.isHeld()).as(clause("1.1", "the winner's handle of %s is not held", key)).isTrue();
            }
        }
    }
}
