/**
 * Micrometer meters and observations for distlock: {@link io.distlock.micrometer.LockInstrumentation} binds a lock
 * manager to a {@code MeterRegistry} (through a {@link io.distlock.LockListener}) and to an
 * {@code ObservationRegistry} (one observation per acquisition); {@link io.distlock.micrometer.IdempotencyMetrics}
 * times idempotency keys. Names and tags are documented in {@link io.distlock.micrometer.LockMeterConvention} and
 * {@link io.distlock.micrometer.DefaultLockObservationConvention}; keys are never metric tags.
 */
package io.distlock.micrometer;
