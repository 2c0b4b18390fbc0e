package io.distlock.tck;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;


/**
 * The whole TCK against the in-process reference backend. The wiring every backend copies: one fixture in a static
 * field, one {@link Nested} class per contract area.
 */
@DisplayName("TCK: local://")
class LocalTckTest {

    private static final TckBackend BACKEND = new LocalTckBackend();

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class FailFast extends FailFastTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Release extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Lease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Outage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class ManagerLifecycle extends ManagerLifecycleTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }
}
