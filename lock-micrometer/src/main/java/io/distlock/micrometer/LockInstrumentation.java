package io.distlock.micrometer;

import io.distlock.LockHandle;
import io.distlock.LockConfigurationException;
import io.distlock.LockListener;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.ObservationRegistry;

import java.net.URI;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Binds one {@link LockManager} to a {@link MeterRegistry} and an {@link ObservationRegistry}:
 * <pre>{@code
 * LockInstrumentation instrumentation = LockInstrumentation.builder(meterRegistry)
 *         .observationRegistry(observationRegistry).managerName("orders").build();
 * LockManager locks = instrumentation.create(URI.create("redis://127.0.0.1:6379"));
 * // or, with a builder:  RedisLockManager.builder()...settings(instrumentation.addTo(settings)).build(),
 * //                      then instrumentation.observe(manager) for the observations
 * }</pre>
 * <ul>
 *   <li><b>Meters</b> come from the manager's {@link LockListener} events, so they count every call whether or not
 *       it went through {@link #observe}: the names and tags of {@link LockMeterConvention}. They are registered when
 *       the manager is built and removed from the registry when it is closed.</li>
 *   <li><b>Observations</b>: {@link #observe} wraps the manager so that every {@code tryLock}/{@code lock} call is one
 *       observation (by default {@code distlock.lock.acquire}, see {@link DefaultLockObservationConvention}), in
 *       scope while the call runs: a tracing handler shows the lock wait as a span inside the request's span. The
 *       wrapper needs an {@link ObservationRegistry}; without one it returns the manager as it is.</li>
 *   <li><b>Keys</b> are never tags: they are unbounded. {@link Builder#recordKeys(boolean)} adds them to observations
 *       as the high-cardinality attribute {@code distlock.key} (traces only), off by default.</li>
 * </ul>
 * One instance serves one manager: a second manager built with it is refused (logged by the manager, which then
 * goes on without these meters). Thread safe.
 */
public final class LockInstrumentation implements LockListener {

    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    private final String managerName;
    private final Tags extraTags;
    private final LockMeterConvention meterConvention;
    private final LockObservationConvention observationConvention;
    private final boolean recordKeys;
    private final AtomicBoolean bound = new AtomicBoolean();
    /** Set by {@link #opened}; null before, and after {@link #closed}. */
    private volatile Bound state;

    private LockInstrumentation(Builder builder) {
        this.meters = builder.meters;
        this.observations = builder.observations;
        this.managerName = builder.managerName;
        this.extraTags = builder.tags;
        this.meterConvention = builder.meterConvention;
        this.observationConvention = builder.observationConvention;
        this.recordKeys = builder.recordKeys;
    }

    /**
     * A builder that registers meters in {@code meters}.
     *
     * @param meters the registry
     * @return the builder
     * @throws NullPointerException if {@code meters} is null
     */
    public static Builder builder(MeterRegistry meters) {
        return new Builder(meters);
    }

    /**
     * {@code settings} with this instrumentation added as a listener, for a backend's builder.
     *
     * @param settings the settings
     * @return the settings to build the manager with
     * @throws NullPointerException if {@code settings} is null
     */
    public LockSettings addTo(LockSettings settings) {
        return settings.withListener(this);
    }

    /**
     * Creates the manager for {@code uri} with this instrumentation as listener, wrapped by {@link #observe}.
     *
     * @param uri the lock URI
     * @return the instrumented manager; closing it closes the manager and removes its meters
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException as {@link LockManagers#create(URI)}
     * @throws io.distlock.LockBackendException as {@link LockManagers#create(URI)}
     */
    public LockManager create(URI uri) {
        return observe(LockManagers.create(uri, this::addTo));
    }

    /**
     * {@code manager} with one observation per acquisition call, or {@code manager} itself if this instrumentation
     * has no observation registry. Handles are the manager's own.
     *
     * @param manager a manager built with {@link #addTo} (for the backend tag; any manager works)
     * @return the observed manager; thread safe as the manager is
     * @throws NullPointerException if {@code manager} is null
     */
    public LockManager observe(LockManager manager) {
        Objects.requireNonNull(manager, "manager must not be null");
        if (observations == null) {
            return manager;
        }
        return new ObservedLockManager(manager, this, observations, observationConvention);
    }

    LockObservationContext newContext(String key, java.time.Duration wait) {
        Bound current = state;
        return new LockObservationContext(current == null ? "unknown" : current.backend, managerName,
                recordKeys ? key : null, wait);
    }

    // ---- LockListener ----

    @Override
    public void opened(String backend) {
        if (!bound.compareAndSet(false, true)) {
            throw new IllegalStateException("this LockInstrumentation (manager '" + managerName + "') serves another "
                    + "manager already; build one per manager");
        }
        state = new Bound(backendKind(backend));
    }

    @Override
    public void acquired(LockHandle handle, long waitedNanos) {
        Bound current = state;
        if (current != null) {
            current.acquired.record(waitedNanos, TimeUnit.NANOSECONDS);
            current.samples.put(handle, current.held.start());
            // Closed or lost by another thread while this ran, perhaps before the sample existed: end it here.
            if (!handle.isHeld()) {
                stopHeld(handle);
            }
        }
    }

    @Override
    public void contended(String key, long waitedNanos) {
        Bound current = state;
        if (current != null) {
            current.contended.record(waitedNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void timedOut(String key, long waitedNanos) {
        Bound current = state;
        if (current != null) {
            current.timeout.record(waitedNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void released(LockHandle handle, long heldNanos) {
        stopHeld(handle);
    }

    @Override
    public void lost(LockHandle handle, LockLoss loss, long heldNanos) {
        stopHeld(handle);
        Bound current = state;
        if (current != null) {
            current.lost.get(loss.reason()).increment();
        }
    }

    @Override
    public void renewed(LockHandle handle) {
        Bound current = state;
        if (current != null) {
            current.renewed.increment();
        }
    }

    @Override
    public void renewalFailed(LockHandle handle, Throwable cause) {
        Bound current = state;
        if (current != null) {
            current.renewalFailed.increment();
        }
    }

    @Override
    public void backendError(String key, Operation operation, Throwable error, long elapsedNanos) {
        Bound current = state;
        if (current != null) {
            current.errors.get(operation)[error instanceof LockConfigurationException ? 1 : 0].increment();
            if (operation == Operation.ACQUIRE) {
                current.error.record(elapsedNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void closed() {
        Bound current = state;
        state = null;
        if (current != null) {
            current.samples.values().forEach(LongTaskTimer.Sample::stop);
            current.samples.clear();
            current.registered.forEach(meters::remove);
        }
    }

    @Override
    public String toString() {
        return "LockInstrumentation[manager=" + managerName + "]";
    }

    private void stopHeld(LockHandle handle) {
        Bound current = state;
        if (current != null) {
            LongTaskTimer.Sample sample = current.samples.remove(handle);
            if (sample != null) {
                sample.stop();
            }
        }
    }

    /** {@code redis}, or {@code local} for {@code local:orders}: the table name of a local backend is not a kind. */
    private static String backendKind(String backend) {
        int colon = backend.indexOf(':');
        return colon < 0 ? backend : backend.substring(0, colon);
    }

    /** The meters of the bound manager, registered once, so that events only update them. */
    private final class Bound {
        final String backend;
        final List<Meter> registered = new ArrayList<>();
        final Timer acquired;
        final Timer contended;
        final Timer timeout;
        final Timer error;
        final LongTaskTimer held;
        final Map<LockLoss.Reason, Counter> lost = new EnumMap<>(LockLoss.Reason.class);
        final Counter renewed;
        final Counter renewalFailed;
        /** Per operation: [0] the store could not be reached or failed, [1] it refused the configuration. */
        final Map<Operation, Counter[]> errors = new EnumMap<>(Operation.class);
        /** The held-time sample of every handle held now; handles compare by identity. */
        final Map<LockHandle, LongTaskTimer.Sample> samples = new ConcurrentHashMap<>();

        Bound(String backend) {
            this.backend = backend;
            Tags common = meterConvention.commonTags(backend, managerName).and(extraTags);
            acquired = acquireTimer(common, "acquired");
            contended = acquireTimer(common, "contended");
            timeout = acquireTimer(common, "timeout");
            error = acquireTimer(common, "error");
            held = register(LongTaskTimer.builder(meterConvention.heldName()).tags(common)
                    .description("locks held now, and for how long").register(meters));
            for (LockLoss.Reason reason : LockLoss.Reason.values()) {
                lost.put(reason, register(Counter.builder(meterConvention.lostName()).tags(common)
                        .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                        .description("locks lost while held").register(meters)));
            }
            renewed = renewals(common, "renewed");
            renewalFailed = renewals(common, "failed");
            for (Operation operation : Operation.values()) {
                errors.put(operation, new Counter[] {backendErrors(common, operation, "outage"),
                        backendErrors(common, operation, "configuration")});
            }
        }

        private Timer acquireTimer(Tags common, String outcome) {
            return register(Timer.builder(meterConvention.acquireName()).tags(common).tag("outcome", outcome)
                    .description("lock acquisition calls, from start to outcome").register(meters));
        }

        private Counter backendErrors(Tags common, Operation operation, String kind) {
            return register(Counter.builder(meterConvention.backendErrorsName()).tags(common)
                    .tag("operation", operation.name().toLowerCase(Locale.ROOT)).tag("kind", kind)
                    .description("backend calls made for callers that failed").register(meters));
        }

        private Counter renewals(Tags common, String outcome) {
            return register(Counter.builder(meterConvention.renewalsName()).tags(common).tag("outcome", outcome)
                    .description("lease renewals of held locks").register(meters));
        }

        private <M extends Meter> M register(M meter) {
            registered.add(meter);
            return meter;
        }
    }

    /** Builds a {@link LockInstrumentation}; not thread safe. */
    public static final class Builder {
        private final MeterRegistry meters;
        private ObservationRegistry observations;
        private String managerName = "default";
        private Tags tags = Tags.empty();
        private LockMeterConvention meterConvention = LockMeterConvention.DEFAULT;
        private LockObservationConvention observationConvention = DefaultLockObservationConvention.INSTANCE;
        private boolean recordKeys;

        private Builder(MeterRegistry meters) {
            this.meters = Objects.requireNonNull(meters, "meters must not be null");
        }

        /**
         * Where the observations of acquisitions go; without one, {@link #observe} adds none. Default none.
         *
         * @param observations the registry
         * @return this builder
         * @throws NullPointerException if {@code observations} is null
         */
        public Builder observationRegistry(ObservationRegistry observations) {
            this.observations = Objects.requireNonNull(observations, "observations must not be null");
            return this;
        }

        /**
         * The value of the {@code manager} tag, to tell the managers of one application apart; a few fixed names,
         * never anything per request. Default {@code default}.
         *
         * @param managerName a non-blank name
         * @return this builder
         * @throws NullPointerException if {@code managerName} is null
         * @throws IllegalArgumentException if it is blank
         */
        public Builder managerName(String managerName) {
            Objects.requireNonNull(managerName, "managerName must not be null");
            if (managerName.isBlank()) {
                throw new IllegalArgumentException("managerName must not be blank");
            }
            this.managerName = managerName;
            return this;
        }

        /**
         * Tags added to every meter (not to observations), e.g. the application's own. Default none.
         *
         * @param tags the tags
         * @return this builder
         * @throws NullPointerException if {@code tags} is null
         */
        public Builder tags(Iterable<Tag> tags) {
            this.tags = Tags.of(Objects.requireNonNull(tags, "tags must not be null"));
            return this;
        }

        /**
         * The meters' names and common tags. Default {@link LockMeterConvention#DEFAULT}.
         *
         * @param convention the convention
         * @return this builder
         * @throws NullPointerException if {@code convention} is null
         */
        public Builder meterConvention(LockMeterConvention convention) {
            this.meterConvention = Objects.requireNonNull(convention, "convention must not be null");
            return this;
        }

        /**
         * The observations' names and tags. Default {@link DefaultLockObservationConvention#INSTANCE}; a global
         * convention registered with the observation registry takes precedence, as Micrometer defines.
         *
         * @param convention the convention
         * @return this builder
         * @throws NullPointerException if {@code convention} is null
         */
        public Builder observationConvention(LockObservationConvention convention) {
            this.observationConvention = Objects.requireNonNull(convention, "convention must not be null");
            return this;
        }

        /**
         * Whether observations carry the lock key as the high-cardinality attribute {@code distlock.key} (trace
         * attributes only, never meter tags). Keys often contain user data (a user id, an order number): turn this
         * on only where traces may hold it. Default false.
         *
         * @param recordKeys whether to record keys
         * @return this builder
         */
        public Builder recordKeys(boolean recordKeys) {
            this.recordKeys = recordKeys;
            return this;
        }

        /**
         * The instrumentation, for exactly one manager.
         *
         * @return the instrumentation
         */
        public LockInstrumentation build() {
            return new LockInstrumentation(this);
        }
    }
}
