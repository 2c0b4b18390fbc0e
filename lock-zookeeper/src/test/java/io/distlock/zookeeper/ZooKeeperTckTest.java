package io.distlock.zookeeper;

import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against an in-process ZooKeeper server ({@link ZooKeeperTckBackend}: a client per manager, so that
 * sessions can be expired); the manager-owned client path is covered by {@link ZooKeeperLockManagerTest}.
 */
@DisplayName("TCK: zookeeper:// (TestingServer)")
class ZooKeeperTckTest extends LockManagerTck {

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
    protected TckBackend backend() {
        return BACKEND;
    }
}
