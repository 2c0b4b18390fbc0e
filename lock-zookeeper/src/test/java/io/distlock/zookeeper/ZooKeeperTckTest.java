package io.distlock.zookeeper;

import io.distlock.tck.ExclusionTck;
import io.distlock.tck.FailFastTck;
import io.distlock.tck.FencingTck;
import io.distlock.tck.KeyTck;
import io.distlock.tck.LeaseTck;
import io.distlock.tck.ManagerLifecycleTck;
import io.distlock.tck.MissionTck;
import io.distlock.tck.OutageTck;
import io.distlock.tck.ReleaseTck;
import io.distlock.tck.TckBackend;
import io.distlock.tck.WaitingTck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The whole TCK against an in-process ZooKeeper server ({@link ZooKeeperTckBackend}: a client per manager, so that
 * sessions can be expired); the manager-owned client path is covered by {@link ZooKeeperLockManagerTest}.
 */
@DisplayName("TCK: zookeeper:// (TestingServer)")
class ZooKeeperTckTest {

    private static final ZooKeeperTckBackend BACKEND = new ZooKeeperTckBackend();

    @BeforeAll
    static void startServer() throws Exception {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        BACKEND.stop();
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
