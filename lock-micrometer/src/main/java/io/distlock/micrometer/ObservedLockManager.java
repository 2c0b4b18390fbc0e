package io.distlock.micrometer;

import io.distlock.LockHandle;
import io.distlock.LockInspector;
import io.distlock.LockManager;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

import java.time.Duration;
import java.util.Optional;

/** A manager whose acquisition calls are each one observation, in scope while the call runs. */
final class ObservedLockManager implements LockManager {

    private final LockManager delegate;
    private final LockInstrumentation instrumentation;
    private final ObservationRegistry registry;
    private final LockObservationConvention convention;

    ObservedLockManager(LockManager delegate, LockInstrumentation instrumentation, ObservationRegistry registry,
                        LockObservationConvention convention) {
        this.delegate = delegate;
        this.instrumentation = instrumentation;
        this.registry = registry;
        this.convention = convention;
    }

    @Override
    public Optional<LockHandle> tryLock(String key) {
        LockObservationContext context = instrumentation.newContext(key, Duration.ZERO);
        Observation observation = start(context);
        try (Observation.Scope scope = observation.openScope()) {
            Optional<LockHandle> handle = delegate.tryLock(key);
            context.outcome(handle.isPresent() ? "acquired" : "contended");
            return handle;
        } catch (RuntimeException | Error e) {
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
        }
    }

    @Override
    public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
        LockObservationContext context = instrumentation.newContext(key, wait == null ? Duration.ZERO : wait);
        Observation observation = start(context);
        try (Observation.Scope scope = observation.openScope()) {
            Optional<LockHandle> handle = delegate.tryLock(key, wait);
            context.outcome(handle.isPresent() ? "acquired" : wait.isZero() ? "contended" : "timeout");
            return handle;
        } catch (RuntimeException | Error | InterruptedException e) {
            observation.error(e);
            throw e;
        } finally {
            observation.stop();
        }
    }

    private Observation start(LockObservationContext context) {
        return Observation.createNotStarted(null, convention, () -> context, registry).start();
    }

    /** Not observed (operators' calls, not acquisitions), but kept: without it the wrapper could not be inspected. */
    @Override
    public LockInspector inspector() {
        return delegate.inspector();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "Observed" + delegate;
    }
}
