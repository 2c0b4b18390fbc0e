package io.distlock.micrometer;

import io.micrometer.core.instrument.Tags;

/**
 * The names and common tags of the meters {@link LockInstrumentation} registers. Implement it (overriding only what
 * you want to change) and pass it to {@link LockInstrumentation.Builder#meterConvention} to rename them; a
 * {@code MeterFilter} on the registry works too. The defaults ({@link #DEFAULT}):
 * <ul>
 *   <li>{@code distlock.acquire} — timer of every acquisition call, from its start to its outcome; tag
 *       {@code outcome} = {@code acquired}, {@code contended} (a single attempt found the key held), {@code timeout}
 *       (a bounded wait ran out) or {@code error} (the backend failed);</li>
 *   <li>{@code distlock.held.active} — long task timer of the locks held right now: how many and for how long (the
 *       stuck-lock alert is on its max);</li>
 *   <li>{@code distlock.lost} — counter of lost locks; tag {@code reason} = {@code not_owner}, {@code lease_expired},
 *       {@code backend_unreachable} or {@code session_lost};</li>
 *   <li>{@code distlock.renewals} — counter of lease renewals; tag {@code outcome} = {@code renewed} or
 *       {@code failed} (retried within the lease);</li>
 *   <li>{@code distlock.backend.errors} — counter of failed backend calls made for callers; tags {@code operation} =
 *       {@code acquire}, {@code wait} or {@code release}, and {@code kind} = {@code configuration} (the store
 *       refused the configuration: {@link io.distlock.LockConfigurationException}, retrying does not help) or
 *       {@code outage} (anything else).</li>
 * </ul>
 * Every meter also has the {@linkplain #commonTags common tags} {@code backend} (e.g. {@code redis}) and
 * {@code manager} (the name given to the instrumentation). Implementations must be thread safe and return the same
 * answer every time.
 */
public interface LockMeterConvention {

    /** The default names and tags listed above. */
    LockMeterConvention DEFAULT = new LockMeterConvention() { };

    /**
     * The acquisition timer's name.
     *
     * @return default {@code distlock.acquire}
     */
    default String acquireName() {
        return "distlock.acquire";
    }

    /**
     * The held-locks long task timer's name.
     *
     * @return default {@code distlock.held.active}
     */
    default String heldName() {
        return "distlock.held.active";
    }

    /**
     * The lost-locks counter's name.
     *
     * @return default {@code distlock.lost}
     */
    default String lostName() {
        return "distlock.lost";
    }

    /**
     * The renewals counter's name.
     *
     * @return default {@code distlock.renewals}
     */
    default String renewalsName() {
        return "distlock.renewals";
    }

    /**
     * The backend errors counter's name.
     *
     * @return default {@code distlock.backend.errors}
     */
    default String backendErrorsName() {
        return "distlock.backend.errors";
    }

    /**
     * The tags every meter of one manager has.
     *
     * @param backend the backend's kind, e.g. {@code redis} or {@code local}
     * @param manager the manager's name
     * @return default {@code backend} and {@code manager}
     */
    default Tags commonTags(String backend, String manager) {
        return Tags.of("backend", backend, "manager", manager);
    }
}
