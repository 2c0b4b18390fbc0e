package io.distlock.tck;

import org.junit.jupiter.api.Nested;

/**
 * The whole lock TCK in one class: a backend module extends it with the one method that returns its fixture, and
 * every contract area runs as a nested class. Extending the area classes one by one (e.g. only {@link MissionTck},
 * {@link ExclusionTck} and {@link FencingTck} for a second deployment) works too.
 */
public abstract class LockManagerTck {

    /**
     * The backend under test; the same instance for every test of the run.
     *
     * @return the backend fixture
     */
    protected abstract TckBackend backend();

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class FailFast extends FailFastTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Release extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Lease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Outage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Untested extends UntestedClausesTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class Events extends EventsTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }

    @Nested
    class ManagerLifecycle extends ManagerLifecycleTck {
        @Override
        protected TckBackend backend() {
            return LockManagerTck.this.backend();
        }
    }
}
