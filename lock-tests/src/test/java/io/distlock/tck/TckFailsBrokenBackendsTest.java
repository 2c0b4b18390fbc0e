package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockManagerCore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

/**
 * A kit that cannot fail proves nothing: this runs TCK tests against backends with one deliberate bug each and
 * checks that the test for the broken clause fails, while it passes against the same backend without the bug.
 */
class TckFailsBrokenBackendsTest {

    enum Bug { GRANTS_TWICE, RELEASE_IGNORES_OWNER, OUTAGE_AS_CONTENTION, CONSTANT_TOKEN }

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
    @DisplayName("clause 9's test fails a backend that reports an outage as 'held'")
    void outageCatchesEmptyOnOutage() {
        assertCaught(Bug.OUTAGE_AS_CONTENTION, BrokenOutage.class, "tryLockDuringOutageThrows");
    }

    @Test
    @DisplayName("clause 7's test fails a backend whose tokens do not increase")
    void fencingCatchesConstantTokens() {
        assertCaught(Bug.CONSTANT_TOKEN, BrokenFencing.class, "tokensIncreaseAcrossManagers");
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

    private static Events run(Class<?> testClass, String method) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selectMethod(testClass, method)).execute()
                .testEvents();
        assertThat(tests.started().count()).as("the selected test ran").isEqualTo(1);
        return tests;
    }

    /** A one-map backend in this JVM; each bug is switched on by {@link #bugs}. */
    static final class BuggyBackend implements LockBackend, TckBackend.Faults {
        private static final ConcurrentHashMap<String, String> OWNERS = new ConcurrentHashMap<>();
        private static final AtomicLong TOKENS = new AtomicLong();
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
                throw new LockBackendException("down: " + key);
            }
            boolean won = OWNERS.putIfAbsent(key, owner) == null || bugs.contains(Bug.GRANTS_TWICE);
            if (!won) {
                return AcquireResult.held();
            }
            return AcquireResult.acquired(bugs.contains(Bug.CONSTANT_TOKEN) ? 1 : TOKENS.incrementAndGet());
        }

        @Override
        public boolean release(String key, String owner) {
            return bugs.contains(Bug.RELEASE_IGNORES_OWNER) ? OWNERS.remove(key) != null : OWNERS.remove(key, owner);
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            return owner.equals(OWNERS.get(key));
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            return () -> { };
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
            return LockManagerCore.create(new BuggyBackend(), settings);
        }

        @Override
        public Optional<Faults> faults() {
            return Optional.of(faults);
        }
    };

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
}
