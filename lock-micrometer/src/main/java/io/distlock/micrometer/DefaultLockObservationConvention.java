package io.distlock.micrometer;

import io.micrometer.common.KeyValues;

/**
 * The default observation of one acquisition: name {@code distlock.lock.acquire}, contextual name (span name)
 * {@code lock acquire}, low-cardinality tags {@code distlock.backend}, {@code distlock.manager},
 * {@code distlock.outcome} ({@code acquired|contended|timeout|error}) and {@code distlock.mode} ({@code try} for a
 * single attempt, {@code wait} for a bounded wait); the high-cardinality attribute {@code distlock.key} only when keys
 * are recorded (off by default: keys may carry user data, and they are unbounded). Thread safe; stateless.
 */
public class DefaultLockObservationConvention implements LockObservationConvention {

    /** The default instance. */
    public static final DefaultLockObservationConvention INSTANCE = new DefaultLockObservationConvention();

    /** For subclasses that change some of the names. */
    public DefaultLockObservationConvention() {
    }

    @Override
    public String getName() {
        return "distlock.lock.acquire";
    }

    @Override
    public String getContextualName(LockObservationContext context) {
        return "lock acquire";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(LockObservationContext context) {
        return KeyValues.of("distlock.backend", context.backend(), "distlock.manager", context.manager(),
                "distlock.outcome", context.outcome(), "distlock.mode", context.waitLimit().isZero() ? "try" : "wait");
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(LockObservationContext context) {
        return context.key() == null ? KeyValues.empty() : KeyValues.of("distlock.key", context.key());
    }
}
