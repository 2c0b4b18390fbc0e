package io.distlock.zookeeper;

import io.distlock.tck.InspectionTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Inspection (clause 13) against an in-process ZooKeeper server, with the TCK fixture's faults. */
@DisplayName("TCK: zookeeper:// inspection (TestingServer)")
class ZooKeeperInspectionTckTest extends InspectionTck {

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
