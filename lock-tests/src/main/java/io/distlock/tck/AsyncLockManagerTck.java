package io.distlock.tck;

import io.distlock.LockManager;
import io.distlock.LockSettings;

import java.time.Duration;
import java.util.Optional;

/**
 * The whole lock TCK once more, through the asynchronous calls: every manager the kit makes is wrapped so that its
 * {@code tryLock} calls go through {@link LockManager#tryLockAsync} and wait for the stage. So each contract area
 * (exclusion, fail fast, waiting, leases, outages, keys, closing) holds for the asynchronous path with the same
 * tests. A backend module extends it with the same fixture as its {@link LockManagerTck}; the TCK runs for many
 * deployments, so one deployment per backend is enough here (the asynchronous path differs by backend, not by
 * deployment).
 *
 * <p>What the wrapping cannot see: whether a waiting thread is parked after a failed attempt or still waiting for
 * the first answer (the kit's "waiting" checks accept either here), and the thread a stage completes on.
 */
public abstract class AsyncLockManagerTck extends LockManagerTck {

    /**
     * The backend under test, as for {@link LockManagerTck#backend()}.
     *
     * @return the fixture; the same instance for every test
     */
    protected abstract TckBackend fixture();

    @Override
    protected final TckBackend backend() {
        return new AsyncFixture(fixture());
    }

    /** The fixture with every manager wrapped in {@link AsyncAsBlockingManager}. */
    private record AsyncFixture(TckBackend fixture) implements TckBackend {

        @Override
        public String name() {
            return fixture.name() + " through tryLockAsync";
        }

        @Override
        public LockManager newManager(LockSettings settings) {
            return new AsyncAsBlockingManager(fixture.newManager(settings));
        }

        @Override
        public LockSettings settings() {
            return fixture.settings();
        }

        @Override
        public Duration shortLease() {
            return fixture.shortLease();
        }

        @Override
        public Optional<String> lacks(Capability capability) {
            return fixture.lacks(capability);
        }

        @Override
        public Optional<Faults> faults() {
            return fixture.faults();
        }
    }
}
