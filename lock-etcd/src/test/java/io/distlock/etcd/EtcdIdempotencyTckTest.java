package io.distlock.etcd;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.RecordStoreTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The idempotency kit and the record store kit against one private etcd server: the lock managers as in
 * {@link EtcdTckTest}, and every record store on its own client, which it builds and closes (as another replica would
 * have it), in the managers' namespace.
 */
@DisplayName("idempotency and record store TCK: etcd:// (one private etcd server)")
class EtcdIdempotencyTckTest {

    private static final EtcdTckBackend BACKEND = new EtcdTckBackend();

    @BeforeAll
    static void startServer() {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() {
        BACKEND.stop();
    }

    private static RecordStore newStore() {
        return EtcdRecordStore.builder().endpoints(BACKEND.server().endpoint()).namespace(BACKEND.namespace())
                .settings(BACKEND.settings()).build();
    }

    @Nested
    @ExtendWith(WholeSecondExpiry.class)
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
