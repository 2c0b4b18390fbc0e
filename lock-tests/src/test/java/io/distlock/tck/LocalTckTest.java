package io.distlock.tck;

import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against the in-process reference backend. The wiring every backend copies: extend
 * {@link LockManagerTck} and return a fixture held in a static field; each contract area runs as a nested class.
 */
@DisplayName("TCK: local://")
class LocalTckTest extends LockManagerTck {

    private static final TckBackend BACKEND = new LocalTckBackend();

    @Override
    protected TckBackend backend() {
        return BACKEND;
    }
}
