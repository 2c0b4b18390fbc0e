package io.distlock.etcd;

import io.distlock.tck.InspectionTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Inspection (clause 13) against one private etcd server, with the TCK fixture's faults. */
@DisplayName("TCK: etcd:// inspection (one private etcd server)")
class EtcdInspectionTckTest extends InspectionTck {

    private static final EtcdTckBackend BACKEND = new EtcdTckBackend();

    @BeforeAll
    static void startServer() {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() {
        BACKEND.stop();
    }

    @Override
    protected TckBackend backend() {
        return BACKEND;
    }
}
