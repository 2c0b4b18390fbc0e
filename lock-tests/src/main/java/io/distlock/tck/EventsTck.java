package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clause 12: what a manager's {@link LockListener}s hear on a real backend. Fast: a few lock calls per test; the
 * loss test needs the fixture's {@code deleteLock} and is skipped with the reason without it.
 */
public abstract class EventsTck extends AbstractTck {

    /** Each event as a line {@code "<event> <key>"}, for events about keys of the test; plus opened and closed. */
    static final class Recorder implements LockListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void opened(String backend) {
            events.add("opened");
        }

        @Override
        public void acquired(LockHandle handle, long waitedNanos) {
            events.add("acquired " + handle.key());
        }

        @Override
        public void contended(String key, long waitedNanos) {
            events.add("contended " + key);
        }

        @Override
        public void timedOut(String key, long waitedNanos) {
            events.add("timedOut " + key);
        }

        @Override
        public void released(LockHandle handle, long heldNanos) {
            events.add("released " + handle.key());
        }

        @Override
        public void lost(LockHandle handle, LockLoss loss, long heldNanos) {
            events.add("lost " + handle.key());
        }

        @Override
        public void closed() {
            events.add("closed");
        }
    }

    @Test
    @DisplayName("clause 12.1: acquired, contended here and elsewhere, timed out and released are heard in order")
    void acquireContendTimeOutRelease() throws InterruptedException {
        Recorder recorder = new Recorder();
        String key = randomKey("events");
        String other = randomKey("events-elsewhere");
        LockManager elsewhere = newManager();
        try {
            try (LockManager manager = newManager(backend().settings().withListener(recorder))) {
                LockHandle handle = lockFree(manager, key, "12.1");
                assertThat(manager.tryLock(key)).as(clause("12.1", "second tryLock of %s", key)).isEmpty();
                handle.close();
                try (LockHandle held = lockFree(elsewhere, other, "12.1")) {
                    assertThat(manager.tryLock(other)).as(clause("12.1", "tryLock of %s held elsewhere", other))
                            .isEmpty();
                    assertThat(manager.tryLock(other, Duration.ofMillis(50)))
                            .as(clause("12.1", "bounded wait for %s held elsewhere", other)).isEmpty();
                }
            }
        } finally {
            elsewhere.close();
        }
        assertThat(recorder.events).as(clause("12.1", "events heard")).containsExactly("opened", "acquired " + key,
                "contended " + key, "released " + key, "contended " + other, "timedOut " + other, "closed");
    }

    @Test
    @DisplayName("clause 12.1: a lock deleted behind its holder is heard as lost once, never as released")
    void lostIsHeardOnce() {
        TckBackend.Faults faults = faults();
        Recorder recorder = new Recorder();
        String key = randomKey("events-lost");
        try (LockManager manager = newManager(shortLeaseSettings(true).withListener(recorder))) {
            LockHandle handle = lockFree(manager, key, "12.1");
            deleteLock(faults, key);
            awaitLoss(handle, soon(), "12.1", "after a foreign delete");
            handle.close();
        }
        assertThat(recorder.events).as(clause("12.1", "events heard for a lost lock")).containsExactly("opened",
                "acquired " + key, "lost " + key, "closed");
    }
}
