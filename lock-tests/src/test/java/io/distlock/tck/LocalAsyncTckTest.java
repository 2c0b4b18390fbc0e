package io.distlock.tck;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The whole TCK against the in-process backend through {@code tryLockAsync}, twice: with the fault injector, whose
 * simulated network makes the backend use the SPI's default asynchronous forms (the blocking calls on the shared
 * pool, as for a backend without native ones), and without it, where the backend answers inline (native).
 */
@DisplayName("TCK: local:// through tryLockAsync")
class LocalAsyncTckTest {

    private static final TckBackend WITH_FAULTS = new LocalTckBackend(true);
    private static final TckBackend NATIVE = new LocalTckBackend(false);

    @Nested
    @DisplayName("SPI default (blocking calls on the shared pool), with faults")
    class Adapted extends AsyncLockManagerTck {
        @Override
        protected TckBackend fixture() {
            return WITH_FAULTS;
        }
    }

    @Nested
    @DisplayName("native, inline answers")
    class Native extends AsyncLockManagerTck {
        @Override
        protected TckBackend fixture() {
            return NATIVE;
        }
    }
}
