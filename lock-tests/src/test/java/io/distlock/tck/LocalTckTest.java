package io.distlock.tck;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/**
 * The whole TCK against the in-process reference backend. The wiring every backend copies: one fixture in a static
 * field, one {@link Nested} class per contract area.
 */
@DisplayName("TCK: local://")
class LocalTckTest {

    private static final TckBackend BACKEND = new LocalBackend();

    /** Managers of one table name; the faults simulate an unreachable or wiped table. */
    private static final class LocalBackend implements TckBackend {
        private final String table = "tck-" + UUID.randomUUID();
        private final LocalFaults faults = new LocalFaults();

        @Override
        public String name() {
            return "local";
        }

        @Override
        public LockManager newManager(LockSettings settings) {
            return LocalLockManager.builder().name(table).settings(settings).faults(faults).build();
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
            return Optional.of(new Faults() {
                @Override
                public void startOutage() {
                    faults.startOutage();
                }

                @Override
                public void endOutage() {
                    faults.endOutage();
                }

                @Override
                public void loseAllLocks() {
                    faults.loseAllLocks();
                }
            });
        }
    }

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class FailFast extends FailFastTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Release extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Lease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Outage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class ManagerLifecycle extends ManagerLifecycleTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }
}
