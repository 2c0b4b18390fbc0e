package io.distlock.etcd;

import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole TCK against one private etcd server ({@link EtcdTckBackend}). */
@DisplayName("TCK: etcd:// (one private etcd server)")
class EtcdTckTest extends LockManagerTck {

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
