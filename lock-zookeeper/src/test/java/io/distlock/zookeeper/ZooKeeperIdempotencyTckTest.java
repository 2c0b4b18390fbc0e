package io.distlock.zookeeper;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The idempotency kit against an in-process ZooKeeper server: the TCK's lock managers as in {@link ZooKeeperTckTest},
 * and every record store on its own client, which it builds and closes (as another replica would have it), in the
 * managers' namespace.
 */
@DisplayName("idempotency TCK: zookeeper:// (TestingServer)")
class ZooKeeperIdempotencyTckTest extends IdempotencyTck {

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

    @Override
    protected RecordStore createStore() {
        return ZooKeeperRecordStore.builder().connectString(BACKEND.connectString()).namespace(BACKEND.namespace())
                .settings(BACKEND.settings()).build();
    }
}
