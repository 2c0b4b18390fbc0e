package io.distlock.micrometer;

import io.micrometer.observation.Observation;

import java.time.Duration;

/**
 * What an acquisition observation knows, for {@link LockObservationConvention}s: set before the observation starts,
 * except the outcome, set when the call ends. Not thread safe; one per call.
 */
public final class LockObservationContext extends Observation.Context {

    private final String backend;
    private final String manager;
    private final String key;
    private final Duration wait;
    private String outcome = "error";

    LockObservationContext(String backend, String manager, String key, Duration wait) {
        this.backend = backend;
        this.manager = manager;
        this.key = key;
        this.wait = wait;
    }

    /**
     * The backend's kind.
     *
     * @return e.g. {@code redis}; {@code unknown} before the manager was opened
     */
    public String backend() {
        return backend;
    }

    /**
     * The manager's name.
     *
     * @return the name given to the instrumentation
     */
    public String manager() {
        return manager;
    }

    /**
     * The lock key, only when keys are recorded ({@link LockInstrumentation.Builder#recordKeys}).
     *
     * @return the key, or null when keys are not recorded
     */
    public String key() {
        return key;
    }

    /**
     * The longest wait the caller asked for.
     *
     * @return zero for a single attempt
     */
    public Duration waitLimit() {
        return wait;
    }

    /**
     * How the call ended.
     *
     * @return {@code acquired}, {@code contended}, {@code timeout} or {@code error} (also while it runs)
     */
    public String outcome() {
        return outcome;
    }

    void outcome(String outcome) {
        this.outcome = outcome;
    }
}
