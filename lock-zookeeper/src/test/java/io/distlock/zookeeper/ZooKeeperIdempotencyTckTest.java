package io.distlock.zookeeper;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.RecordStoreTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;

/**
 * The idempotency kit against an in-process ZooKeeper server: the TCK's lock managers as in {@link ZooKeeperTckTest},
 * and every record store on its own client, which it builds and closes (as another replica would have it), in the
 * managers' namespace.
 */
@DisplayName("idempotency and record store TCK: zookeeper:// (TestingServer)")
class ZooKeeperIdempotencyTckTest {

    private static final ZooKeeperTckBackend BACKEND = new ZooKeeperTckBackend();

    @BeforeAll
    static void startServer() throws Exception {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        BACKEND.stop();
    }

    private static RecordStore newStore() {
        return ZooKeeperRecordStore.builder().connectString(BACKEND.connectString()).namespace(BACKEND.namespace())
                    // A little more than the lock fixture's 1 s: a record write is fsynced on a shared, loaded machine,
                    // and the outage test's bound (twice the fixture's timeout plus 2 s) still holds.
                    .settings(BACKEND.settings().withOperationTimeout(Duration.ofMillis(1500))).build();
    }

    @Nested
    class Idempotency extends IdempotencyTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }

        @Override
        protected RecordStore createStore() {
            return newStore();
        }
    }

    @Nested
    class Store extends RecordStoreTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }

        @Override
        protected RecordStore createStore() {
            return newStore();
        }
    }
}
