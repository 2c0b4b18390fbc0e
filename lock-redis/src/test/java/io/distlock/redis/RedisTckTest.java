package io.distlock.redis;

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
 * The whole TCK against one private redis-server: every manager has its own Redisson client, as separate replicas
 * would; outages are SIGSTOP/SIGCONT of the server, lost locks are FLUSHALL.
 */
@DisplayName("TCK: redis:// (single server)")
class RedisTckTest {

    private static RedisServer server;
    private static TckBackend backend;

    @BeforeAll
    static void startServer() {
        server = RedisServer.start();
        backend = new RedisTckBackend("redis (single server)",
                RedisTckBackend.builders(() -> RedisLockManager.builder().address(server.address())),
                RedisTckBackend.faultsOf(server));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class FailFast extends FailFastTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Release extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Lease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Outage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class ManagerLifecycle extends ManagerLifecycleTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }
}
