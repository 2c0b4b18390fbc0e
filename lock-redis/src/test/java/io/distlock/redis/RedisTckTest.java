package io.distlock.redis;

import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against one private redis-server: every manager has its own Redisson client, as separate replicas
 * would; outages are SIGSTOP/SIGCONT of the server, lost locks are FLUSHALL.
 */
@DisplayName("TCK: redis:// (single server)")
class RedisTckTest extends LockManagerTck {

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

    @Override
    protected TckBackend backend() {
        return backend;
    }
}
