package io.distlock.tck;

import io.distlock.idempotency.LocalRecordStore;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.DisplayName;

import java.util.UUID;

/** The idempotency kit against local:// locks and the in-process record store. */
@DisplayName("idempotency TCK: local://")
class LocalIdempotencyTckTest extends IdempotencyTck {

    private static final TckBackend BACKEND = new LocalTckBackend();
    private static final String STORE = "idempotency-tck-" + UUID.randomUUID();

    @Override
    protected TckBackend backend() {
        return BACKEND;
    }

    @Override
    protected RecordStore createStore() {
        return LocalRecordStore.named(STORE);
    }
}
