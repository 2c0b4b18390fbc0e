package io.distlock.etcd;

import io.distlock.tck.AsyncLockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The whole TCK once more through {@code tryLockAsync}, on the backend's native jetcd futures. */
@DisplayName("TCK: etcd:// (one private etcd server) through tryLockAsync")
class EtcdAsyncTckTest extends AsyncLockManagerTck {

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
    protected TckBackend fixture() {
        return BACKEND;
    }
}
