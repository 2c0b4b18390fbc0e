package io.distlock.redis;

import io.distlock.tck.AsyncLockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK through {@code tryLockAsync} against one private redis-server, with the same fixture as
 * {@link RedisTckTest}: acquisitions and the release subscription go through Redisson's asynchronous API (the
 * backend's native {@code tryAcquireAsync} and {@code subscribeAsync}), outages are SIGSTOP/SIGCONT of the server.
 */
@DisplayName("TCK: redis:// through tryLockAsync (native)")
class RedisAsyncTckTest extends AsyncLockManagerTck {

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
    protected TckBackend fixture() {
        return backend;
    }
}
