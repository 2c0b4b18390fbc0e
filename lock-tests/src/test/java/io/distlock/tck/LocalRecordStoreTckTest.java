package io.distlock.tck;

import io.distlock.idempotency.LocalRecordStore;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.DisplayName;

import java.util.Optional;
import java.util.UUID;

/** The record store kit against the in-process store. */
@DisplayName("record store TCK: local")
class LocalRecordStoreTckTest extends RecordStoreTck {

    private static final TckBackend BACKEND = new LocalTckBackend();
    private static final String STORE = "record-store-tck-" + UUID.randomUUID();

    @Override
    protected TckBackend backend() {
        return BACKEND;
    }

    @Override
    protected RecordStore createStore() {
        return LocalRecordStore.named(STORE);
    }

    @Override
    protected Optional<TckBackend.Faults> storeFaults() {
        // LocalFaults reach lock tables only: the in-process store has no outage to simulate.
        return Optional.empty();
    }
}
