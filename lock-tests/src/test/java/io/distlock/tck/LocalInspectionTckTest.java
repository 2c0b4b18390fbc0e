package io.distlock.tck;

import org.junit.jupiter.api.DisplayName;

/** Inspection (clause 13) against the in-process reference backend, with its fault injector. */
@DisplayName("TCK: local:// inspection")
class LocalInspectionTckTest extends InspectionTck {

    private static final TckBackend BACKEND = new LocalTckBackend();

    @Override
    protected TckBackend backend() {
        return BACKEND;
    }
}
