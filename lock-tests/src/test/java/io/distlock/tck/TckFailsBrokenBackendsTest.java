package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.KeyedListeners;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import io.distlock.spi.LockManagerCore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * A kit that cannot fail proves nothing: this runs TCK tests against backends with one deliberate bug each and
 * checks that the test for the broken clause fails, while it passes against the same backend without the bug. A
 * second group of backends misbehave in ways the core must absorb (errors instead of exceptions, acquisitions the
 * store runs after they failed): there the kit's test must pass with the misbehaviour, and it is the test that
 * fails against a core that does not absorb it.
 */
class TckFailsBrokenBackendsTest {

    enum Bug {
        GRANTS_TWICE, RELEASE_IGNORES_OWNER, OUTAGE_AS_CONTENTION, CONSTANT_TOKEN, NO_NOTIFICATIONS,
        RENEW_ALWAYS_TRUE, LOSS_NEVER_REPORTED, RENEW_AFTER_CLOSE, UNDETECTED_DELETE,
        /** Inspection: the backend does not implement LockInspection; an outage read as "not held". */
        NO_INSPECTION, READ_OUTAGE_AS_FREE,
        /** Not bugs of the kind the kit must fail, but misbehaviour the core must absorb. */
        ERROR_FROM_ACQUIRE, ERROR_FROM_RENEW, ACQUIRES_AFTER_TIMEOUT
    }

    /** Which bugs the backend of the next run has; the kit's test classes are instantiated by the engine. */
    static volatile Set<Bug> bugs = EnumSet.noneOf(Bug.class);

    @Test
    @DisplayName("the mission test fails a backend that grants a key twice")
    void missionCatchesDoubleGrant() {
        assertCaught(Bug.GRANTS_TWICE, BrokenMission.class, "duplicateRequestsOnTwoReplicas");
    }

    @Test
    @DisplayName("clause 4.3's test fails a backend whose release ignores the owner")
    void releaseCatchesOwnerlessRelease() {
        assertCaught(Bug.RELEASE_IGNORES_OWNER, BrokenRelease.class, "staleCloseAfterDataLossKeepsNextHoldersLock");
    }

    @Test
    @DisplayName("clause 4.3's foreign-delete test fails a backend whose release ignores the owner")
    void foreignDeleteCatchesOwnerlessRelease() {
        assertCaught(Bug.RELEASE_IGNORES_OWNER, BrokenRelease.class,
                "staleCloseAfterForeignDeleteKeepsNextHoldersLock");
    }

    @Test
    @DisplayName("clause 9's test fails a backend that reports an outage as 'held'")
    void outageCatchesEmptyOnOutage() {
        assertCaught(Bug.OUTAGE_AS_CONTENTION, BrokenOutage.class, "tryLockDuringOutageThrows");
    }

    @Test
    @DisplayName("clause 7's test fails a backend whose tokens do not increase")
    void fencingCatchesConstantTokens() {
        assertCaught(Bug.CONSTANT_TOKEN, BrokenFencing.class, "tokensIncreaseAcrossManagers");
    }

    @Test
    @DisplayName("clause 8.1's test fails a backend that never notifies waiters (they would acquire on the re-check)")
    void waitingCatchesMissingNotifications() {
        assertCaught(Bug.NO_NOTIFICATIONS, BrokenWaiting.class, "waitAcquiresAfterReleaseElsewhere");
    }

    @Test
    @DisplayName("clause 6.2's test fails a backend whose renewal always answers 'renewed'")
    void leaseCatchesRenewAlwaysTrue() {
        assertCaught(Bug.RENEW_ALWAYS_TRUE, BrokenLease.class, "renewalFindsLockGone");
    }

    @Test
    @DisplayName("clause 6.2's test fails a session-bound backend that never reports a loss")
    void leaseCatchesLossNeverReported() {
        assertCaught(Bug.LOSS_NEVER_REPORTED, BrokenLease.class, "renewalFindsLockGone");
    }

    @Test
    @DisplayName("clause 4.1/6.4's test fails a backend that renews a lock after it was closed")
    void leaseCatchesRenewalAfterClose() {
        assertCaught(Bug.RENEW_AFTER_CLOSE, BrokenLease.class, "normalCloseIsNotALoss");
    }

    @Test
    @DisplayName("clause 6.2's foreign-delete test fails a backend that does not notice its lock was deleted")
    void leaseCatchesUndetectedDelete() {
        assertCaught(Bug.UNDETECTED_DELETE, BrokenLease.class, "foreignDeleteIsReportedLost");
    }

    @Test
    @DisplayName("clause 13.1's test fails a backend that cannot be inspected, saying what to implement")
    void inspectionCatchesMissingInspection() {
        assertCaught(Bug.NO_INSPECTION, BrokenInspection.class, "holderDescribesTheAcquisition");
        bugs = EnumSet.of(Bug.NO_INSPECTION);
        try {
            Events failed = run(BrokenInspection.class, "holderDescribesTheAcquisition").failed();
            assertThat(failed.stream().map(event -> event.getPayload(
                    org.junit.platform.engine.TestExecutionResult.class).flatMap(
                    org.junit.platform.engine.TestExecutionResult::getThrowable).map(Throwable::getMessage)
                    .orElse(""))).singleElement().asString().contains("LockInspection");
        } finally {
            bugs = EnumSet.noneOf(Bug.class);
        }
    }

    @Test
    @DisplayName("clause 13.7's test fails a backend whose inspection reports an outage as 'not held'")
    void inspectionCatchesOutageAsFree() {
        assertCaught(Bug.READ_OUTAGE_AS_FREE, BrokenInspection.class, "outageIsAnError");
    }

    @Test
    @DisplayName("clause 9: an Error from acquire is an outage, and the key is not poisoned afterwards")
    void coreAbsorbsErrorFromAcquire() {
        assertAbsorbed(Bug.ERROR_FROM_ACQUIRE, BrokenOutage.class, "tryLockDuringOutageThrows");
    }

    @Test
    @DisplayName("clause 6.3: an Error from renew does not stop renewals; the loss is reported")
    void coreAbsorbsErrorFromRenew() {
        assertAbsorbed(Bug.ERROR_FROM_RENEW, BrokenLease.class, "outageLongerThanLeaseLosesLock");
    }

    @Test
    @DisplayName("clause 9: an acquisition the store runs after it timed out leaves no ghost lock")
    void coreReleasesAmbiguousAcquisitions() {
        assertAbsorbed(Bug.ACQUIRES_AFTER_TIMEOUT, BrokenOutage.class, "tryLockDuringOutageThrows");
    }

    private static void assertCaught(Bug bug, Class<?> testClass, String method) {
        bugs = EnumSet.noneOf(Bug.class);
        assertThat(run(testClass, method).failed().count()).as("passes without the bug").isZero();
        bugs = EnumSet.of(bug);
        try {
            Events failed = run(testClass, method).failed();
            assertThat(failed.count()).as("fails with bug " + bug).isEqualTo(1);
        } finally {
            bugs = EnumSet.noneOf(Bug.class);
        }
    }

    private static void assertAbsorbed(Bug bug, Class<?> testClass, String method) {
        bugs = EnumSet.of(bug);
        try {
            Events tests = run(testClass, method);
            assertThat(tests.failed().count()).as("passes although the backend has " + bug + ": "
                    + tests.failed().list()).isZero();
            assertThat(tests.succeeded().count()).as("ran, not skipped").isEqualTo(1);
        } finally {
            bugs = EnumSet.noneOf(Bug.class);
        }
    }

    private static Events run(Class<?> testClass, String method) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectMethod(testClass, method)).execute()
                .testEvents();
        assertThat(tests.started().count()).as("the selected test ran").isEqualTo(1);
        return tests;
    }

    /** A one-map store shared by every manager of the run; each bug is switched on by {@link #bugs}. */
    static final class BuggyBackend implements LockBackend, LockInspection, TckBackend.Faults {
        private static final ConcurrentHashMap<String, String> OWNERS = new ConcurrentHashMap<>();
        /** What each backend instance believes it holds, without asking the store (see UNDETECTED_DELETE). */
        private final Set<String> believed = ConcurrentHashMap.newKeySet();
        private static final KeyedListeners LISTENERS = new KeyedListeners();
        private static final AtomicLong TOKENS = new AtomicLong();
        private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "buggy-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        private static volatile boolean down;

        @Override
        public String name() {
            return "buggy";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            if (down) {
                if (bugs.contains(Bug.OUTAGE_AS_CONTENTION)) {
                    return AcquireResult.held();
                }
                if (bugs.contains(Bug.ERROR_FROM_ACQUIRE)) {
                    throw new NoClassDefFoundError("io/netty/channel/Missing");
                }
                if (bugs.contains(Bug.ACQUIRES_AFTER_TIMEOUT)) {
                    // The request reached the store, which runs it; only the answer is lost.
                    OWNERS.putIfAbsent(key, owner);
                }
                throw new LockBackendException("down: " + key);
            }
            boolean won = OWNERS.putIfAbsent(key, owner) == null || bugs.contains(Bug.GRANTS_TWICE);
            if (!won) {
                return AcquireResult.held();
            }
            believed.add(key + "|" + owner);
            return AcquireResult.acquired(bugs.contains(Bug.CONSTANT_TOKEN) ? 1 : TOKENS.incrementAndGet());
        }

        @Override
        public boolean release(String key, String owner) {
            if (down) {
                throw new LockBackendException("down: " + key);
            }
            believed.remove(key + "|" + owner);
            boolean released = bugs.contains(Bug.RELEASE_IGNORES_OWNER) ? OWNERS.remove(key) != null
                    : OWNERS.remove(key, owner);
            if (released && bugs.contains(Bug.RENEW_AFTER_CLOSE)) {
                // A renewal timer of the backend's own that close() did not cancel puts the lock back.
                WATCHDOG.schedule(() -> OWNERS.putIfAbsent(key, owner), 30, TimeUnit.MILLISECONDS);
            }
            if (!bugs.contains(Bug.NO_NOTIFICATIONS)) {
                LISTENERS.signal(key);
            }
            return released;
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            if (down) {
                if (bugs.contains(Bug.ERROR_FROM_RENEW)) {
                    throw new LinkageError("simulated class path mismatch in the client");
                }
                throw new LockBackendException("down: " + key);
            }
            if (bugs.contains(Bug.RENEW_ALWAYS_TRUE)) {
                return true;
            }
            if (bugs.contains(Bug.UNDETECTED_DELETE)) {
                return believed.contains(key + "|" + owner);
            }
            return owner.equals(OWNERS.get(key));
        }

        @Override
        public StoredLock read(String key, long deadlineNanos) {
            if (down) {
                if (bugs.contains(Bug.READ_OUTAGE_AS_FREE)) {
                    return null;
                }
                throw new LockBackendException("down: " + key);
            }
            String owner = OWNERS.get(key);
            // No tokens or leases kept: the fixture lacks INSPECTED_FENCING_TOKEN, and locks live until released.
            return owner == null ? null : new StoredLock(key, owner, 0, -1);
        }

        @Override
        public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
            if (down) {
                if (bugs.contains(Bug.READ_OUTAGE_AS_FREE)) {
                    return new Page(List.of(), null);
                }
                throw new LockBackendException("down: " + keyPrefix);
            }
            List<StoredLock> locks = new ArrayList<>();
            new TreeMap<>(OWNERS).tailMap(cursor == null ? "" : cursor, false).forEach((key, owner) -> {
                if (key.startsWith(keyPrefix) && locks.size() < limit) {
                    locks.add(new StoredLock(key, owner, 0, -1));
                }
            });
            return new Page(locks, locks.size() < limit ? null : locks.get(locks.size() - 1).key());
        }

        @Override
        public boolean needsRenewal() {
            // A session-bound backend renews nothing and must report losses itself; this one never does.
            return !bugs.contains(Bug.LOSS_NEVER_REPORTED);
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            if (down) {
                throw new LockBackendException("down: " + key);
            }
            return bugs.contains(Bug.NO_NOTIFICATIONS) ? () -> { } : LISTENERS.add(key, onRelease);
        }

        @Override
        public void close() {
        }

        @Override
        public void startOutage() {
            down = true;
        }

        @Override
        public void endOutage() {
            down = false;
        }

        @Override
        public void loseAllLocks() {
            OWNERS.clear();
            LISTENERS.signalAll();
        }

        @Override
        public void deleteLock(String key) {
            OWNERS.remove(key);
            LISTENERS.signal(key);
        }
    }

    static final TckBackend BUGGY = new TckBackend() {
        private final BuggyBackend faults = new BuggyBackend();

        @Override
        public String name() {
            return "buggy";
        }

        @Override
        public LockManager newManager(LockSettings settings) {
            BuggyBackend backend = new BuggyBackend();
            return LockManagerCore.create(bugs.contains(Bug.NO_INSPECTION) ? withoutInspection(backend) : backend,
                    settings);
        }

        @Override
        public Optional<String> lacks(Capability capability) {
            return capability == Capability.INSPECTED_FENCING_TOKEN ? Optional.of("keeps no tokens") : Optional.empty();
        }

        @Override
        public LockSettings settings() {
            return LockSettings.defaults().withOperationTimeout(Duration.ofMillis(300));
        }

        @Override
        public Duration shortLease() {
            return Duration.ofMillis(300);
        }

        @Override
        public Optional<Faults> faults() {
            return Optional.of(faults);
        }
    };

    /** The backend's lock operations without its {@link LockInspection}, as a third-party backend may be. */
    private static LockBackend withoutInspection(BuggyBackend backend) {
        return new LockBackend() {
            @Override
            public String name() {
                return backend.name();
            }

            @Override
            public AcquireResult tryAcquire(String key, String owner, Duration lease) {
                return backend.tryAcquire(key, owner, lease);
            }

            @Override
            public boolean release(String key, String owner) {
                return backend.release(key, owner);
            }

            @Override
            public boolean renew(String key, String owner, Duration lease) {
                return backend.renew(key, owner, lease);
            }

            @Override
            public boolean needsRenewal() {
                return backend.needsRenewal();
            }

            @Override
            public Subscription subscribe(String key, Runnable onRelease) {
                return backend.subscribe(key, onRelease);
            }

            @Override
            public void close() {
                backend.close();
            }
        };
    }

    static class BrokenInspection extends InspectionTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenMission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenRelease extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenOutage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenFencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenWaiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }

    static class BrokenLease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return BUGGY;
        }
    }
}
