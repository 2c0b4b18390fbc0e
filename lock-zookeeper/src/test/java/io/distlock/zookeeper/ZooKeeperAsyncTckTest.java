package io.distlock.zookeeper;

import io.distlock.tck.AsyncLockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole TCK once more through {@code tryLockAsync}, on the backend's native asynchronous create. */
@DisplayName("TCK: zookeeper:// (TestingServer) through tryLockAsync")
class ZooKeeperAsyncTckTest extends AsyncLockManagerTck {

    private static final ZooKeeperTckBackend BACKEND = new ZooKeeperTckBackend();

    @BeforeAll
    static void startServer() throws Exception {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        BACKEND.stop();
    }

    @Override
    protected TckBackend fixture() {
        return BACKEND;
    }
}
