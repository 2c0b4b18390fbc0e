package io.distlock;

import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The events a manager gives its listeners, on the local backend, with times from an injected ticker. */
class LockListenerTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;
    private final LockSettings fixedLease = LockSettings.defaults().withTicker(ticker).withRenewal(false)
            .withLease(Duration.ofSeconds(10));

    /** Writes each event as a line, with the times in milliseconds. */
    static final class Recorder implements LockListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void opened(String backend) {
            events.add("opened " + backend);
        }

        @Override
        public void acquired(LockHandle handle, long waitedNanos) {
            events.add("acquired " + handle.key() + " " + waitedNanos / 1_000_000);
        }

        @Override
        public void contended(String key, long waitedNanos) {
            events.add("contended " + key + " " + waitedNanos / 1_000_000);
        }

        @Override
        public void timedOut(String key, long waitedNanos) {
            events.add("timedOut " + key);
        }

        @Override
        public void released(LockHandle handle, long heldNanos) {
            events.add("released " + handle.key() + " " + heldNanos / 1_000_000);
        }

        @Override
        public void lost(LockHandle handle, LockLoss loss, long heldNanos) {
            events.add("lost " + handle.key() + " " + loss.reason());
        }

        @Override
        public void renewed(LockHandle handle) {
            events.add("renewed " + handle.key());
        }

        @Override
        public void renewalFailed(LockHandle handle, Throwable cause) {
            events.add("renewalFailed " + handle.key());
        }

        @Override
        public void backendError(String key, Operation operation, Throwable error, long elapsedNanos) {
            events.add("backendError " + key + " " + operation);
        }

        @Override
        public void closed() {
            events.add("closed");
        }
    }

    private static String table() {
        return "events-" + UUID.randomUUID();
    }

    @Test
    void acquireContendReleaseAndCloseAreReportedWithTheirTimes() {
        Recorder recorder = new Recorder();
        String table = table();
        LockManager other = LocalLockManager.builder().name(table).settings(fixedLease).build();
        try (LockManager manager = LocalLockManager.builder().name(table)
                .settings(fixedLease.withListener(recorder)).build()) {
            LockHandle handle = manager.tryLock("a").orElseThrow();
            assertThat(manager.tryLock("a")).isEmpty();
            try (LockHandle elsewhere = other.tryLock("b").orElseThrow()) {
                assertThat(manager.tryLock("b")).isEmpty();
            }
            now.addAndGet(Duration.ofMillis(250).toNanos());
            handle.close();
            handle.close();
        } finally {
            other.close();
        }
        assertThat(recorder.events).containsExactly("opened local:" + table, "acquired a 0", "contended a 0",
                "contended b 0", "released a 250", "closed");
    }

    @Test
    void aBoundedWaitThatRunsOutIsATimeOutNotContention() throws InterruptedException {
        Recorder recorder = new Recorder();
        String table = table();
        try (LockManager other = LocalLockManager.builder().name(table).build();
             LockManager manager = LocalLockManager.builder().name(table)
                     .settings(LockSettings.defaults().withListener(recorder)).build()) {
            LockHandle held = other.tryLock("k").orElseThrow();
            assertThat(manager.tryLock("k", Duration.ofMillis(30))).isEmpty();
            held.close();
            assertThat(manager.tryLock("k", Duration.ofSeconds(5))).isPresent();
        }
        assertThat(recorder.events).startsWith("opened local:" + table, "timedOut k").element(2).asString()
                .startsWith("acquired k");
    }

    @Test
    void aLostLockIsReportedOnceWithItsReasonAndNeverAsReleased() {
        Recorder recorder = new Recorder();
        LocalFaults faults = new LocalFaults();
        LockSettings renewing = LockSettings.defaults().withLease(Duration.ofMillis(300))
                .withOperationTimeout(Duration.ofMillis(100)).withListener(recorder);
        try (LockManager manager = LocalLockManager.builder().name(table()).settings(renewing).faults(faults)
                .build()) {
            LockHandle handle = manager.tryLock("k").orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events.contains("renewed k"));
            faults.loseAllLocks();
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.events.contains("lost k NOT_OWNER"));
            handle.close();
        }
        assertThat(recorder.events).filteredOn(e -> e.startsWith("lost")).containsExactly("lost k NOT_OWNER");
        assertThat(recorder.events).noneMatch(e -> e.startsWith("released")).endsWith("closed");
    }

    @Test
    void backendErrorsAreReportedForAcquisitionsAndReleases() {
        Recorder recorder = new Recorder();
        LocalFaults faults = new LocalFaults();
        try (LockManager manager = LocalLockManager.builder().name(table()).faults(faults)
                .settings(fixedLease.withOperationTimeout(Duration.ofMillis(100)).withListener(recorder)).build()) {
            LockHandle handle = manager.tryLock("held").orElseThrow();
            faults.startOutage();
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class);
            handle.close();
            faults.endOutage();
        }
        assertThat(recorder.events).containsSubsequence("acquired held 0", "backendError k ACQUIRE",
                "backendError held RELEASE", "released held 0");
        assertThat(recorder.events).noneMatch(e -> e.startsWith("contended"));
    }

    @Test
    void aListenerThatThrowsChangesNothingForTheCallerOrTheOtherListeners() throws InterruptedException {
        AtomicInteger calls = new AtomicInteger();
        LockListener broken = new LockListener() {
            @Override
            public void acquired(LockHandle handle, long waitedNanos) {
                calls.incrementAndGet();
                throw new IllegalStateException("broken listener");
            }

            @Override
            public void contended(String key, long waitedNanos) {
                calls.incrementAndGet();
                throw new AssertionError("broken listener");
            }

            @Override
            public void released(LockHandle handle, long heldNanos) {
                calls.incrementAndGet();
                throw new IllegalStateException("broken listener");
            }
        };
        Recorder recorder = new Recorder();
        try (LockManager manager = LocalLockManager.builder().name(table())
                .settings(fixedLease.withListener(broken).withListener(recorder)).build()) {
            for (int i = 0; i < 3; i++) {
                LockHandle handle = manager.tryLock("k", Duration.ofSeconds(1)).orElseThrow();
                assertThat(manager.tryLock("k")).isEmpty();
                assertThat(handle.isHeld()).isTrue();
                handle.close();
                assertThat(handle.isHeld()).isFalse();
            }
        }
        assertThat(calls).hasValue(9);
        assertThat(recorder.events).filteredOn(e -> e.startsWith("released")).hasSize(3);
    }

    @Test
    void aListenerThatThrowsWhenOpenedGetsNothingFromThatManager() {
        AtomicInteger calls = new AtomicInteger();
        LockListener refusing = new LockListener() {
            @Override
            public void opened(String backend) {
                throw new IllegalStateException("serves another manager already");
            }

            @Override
            public void acquired(LockHandle handle, long waitedNanos) {
                calls.incrementAndGet();
            }
        };
        Recorder recorder = new Recorder();
        try (LockManager manager = LocalLockManager.builder().name(table())
                .settings(fixedLease.withListener(refusing).withListener(recorder)).build()) {
            manager.tryLock("k").orElseThrow().close();
        }
        assertThat(calls).hasValue(0);
        assertThat(recorder.events).contains("acquired k 0", "released k 0");
    }

    @Test
    void listenersAreAddedToTheSettingsOfALockUri() {
        Recorder recorder = new Recorder();
        String table = table();
        try (LockManager manager = LockManagers.create(URI.create("local://" + table + "?lease=10s"),
                settings -> settings.withListener(recorder))) {
            manager.tryLock("k").orElseThrow().close();
        }
        assertThat(recorder.events).first().isEqualTo("opened local:" + table);
        assertThat(recorder.events).last().isEqualTo("closed");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://" + table), settings -> null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("customizer");
    }
}
