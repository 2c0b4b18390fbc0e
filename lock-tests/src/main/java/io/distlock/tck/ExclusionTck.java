package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exclusion under load (clauses 1 and 7): threads on several managers take one key again and again; a non-atomic
 * counter and an "inside" flag prove that no two critical sections overlap and no update is lost, and the fencing
 * tokens, recorded inside the critical section, strictly increase in the order the lock was held.
 */
public abstract class ExclusionTck extends AbstractTck {

    private static final int MANAGERS = 2;
    private static final int THREADS_PER_MANAGER = 4;
    private static final int ACQUISITIONS_PER_THREAD = 40;

    private int counter;

    @Test
    @DisplayName("clause 1.2, 7.3: 8 threads on 2 managers sharing one key never overlap, lose no update, and see increasing tokens")
    void noOverlapNoLostUpdateUnderLoad() throws Exception {
        String key = randomKey("exclusion");
        List<LockManager> managers = new ArrayList<>();
        for (int i = 0; i < MANAGERS; i++) {
            managers.add(newManager());
        }
        AtomicBoolean inside = new AtomicBoolean();
        AtomicInteger overlaps = new AtomicInteger();
        List<Long> tokens = Collections.synchronizedList(new ArrayList<>());
        Duration wait = soon().multipliedBy(4);
        Workers workers = new Workers("exclusion");
        for (LockManager manager : managers) {
            for (int t = 0; t < THREADS_PER_MANAGER; t++) {
                workers.start(() -> {
                    for (int i = 0; i < ACQUISITIONS_PER_THREAD; i++) {
                        Optional<LockHandle> handle = manager.tryLock(key, wait);
                        assertThat(handle).as(clause("8.1", "no lock on %s within %s under load", key, wait))
                                .isPresent();
                        try (LockHandle held = handle.get()) {
                            if (!inside.compareAndSet(false, true)) {
                                overlaps.incrementAndGet();
                            }
                            tokens.add(held.fencingToken());
                            int read = counter;
                            Thread.yield();
                            counter = read + 1;
                            inside.set(false);
                        }
                    }
                });
            }
        }
        workers.join(wait.multipliedBy(2));
        int expected = MANAGERS * THREADS_PER_MANAGER * ACQUISITIONS_PER_THREAD;
        assertThat(overlaps.get()).as(clause("1.2", "%d critical sections of %s overlapped", overlaps.get(), key))
                .isZero();
        assertThat(counter).as(clause("1.2", "the unsynchronised counter guarded by %s lost %d of %d updates", key,
                expected - counter, expected)).isEqualTo(expected);
        for (int i = 1; i < tokens.size(); i++) {
            assertThat(tokens.get(i)).as(clause("7.3", "token #%d (%d) of %s is not larger than token #%d (%d)", i,
                    tokens.get(i), key, i - 1, tokens.get(i - 1))).isGreaterThan(tokens.get(i - 1));
        }
    }

    @Test
    @DisplayName("clause 1.3: locks on different keys do not exclude each other")
    void differentKeysAreIndependent() {
        LockManager a = newManager();
        LockManager b = newManager();
        String first = randomKey("independent-a");
        String second = randomKey("independent-b");
        try (LockHandle one = lockFree(a, first, "1.3");
             LockHandle two = lockFree(b, second, "1.3");
             LockHandle three = lockFree(a, second + "-other", "1.3")) {
            assertThat(one.isHeld() && two.isHeld() && three.isHeld())
                    .as(clause("1.3", "locks on distinct keys are not all held")).isTrue();
        }
    }
}
