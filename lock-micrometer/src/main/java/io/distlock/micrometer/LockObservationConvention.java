package io.distlock.micrometer;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/**
 * Names and tags the observation of one acquisition; implement it (or extend
 * {@link DefaultLockObservationConvention}) and pass it to {@link LockInstrumentation.Builder#observationConvention}
 * to change them. Must be thread safe.
 */
public interface LockObservationConvention extends ObservationConvention<LockObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof LockObservationContext;
    }
}
