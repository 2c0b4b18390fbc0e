package io.distlock.redis;

import io.distlock.tck.InspectionTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * Inspection (clause 13) against one private redis-server, with the fixture of {@link RedisTckTest}: holders, listings
 * and force-release across managers with their own clients; outages are SIGSTOP/SIGCONT of the server.
 */
@DisplayName("TCK: redis:// inspection")
class RedisInspectionTckTest extends InspectionTck {

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
