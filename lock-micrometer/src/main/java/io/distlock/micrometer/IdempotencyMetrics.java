package io.distlock.micrometer;

import io.distlock.idempotency.IdempotencyListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Times {@code IdempotencyKeys.execute} calls: the timer {@code distlock.idempotency.execute} (renamable through
 * {@link #IdempotencyMetrics(MeterRegistry, String, Iterable)}) with the tag {@code outcome} = {@code executed},
 * {@code replayed}, {@code in_progress}, {@code key_reused} or {@code failed}, plus the given tags. Keys are never
 * tags. Pass it to {@code IdempotencyKeys.builder().listener(...)}; needs {@code io.distlock:lock-idempotency} on the
 * class path. The meters are registered at construction and removed by {@link #close()}. Thread safe.
 */
public final class IdempotencyMetrics implements IdempotencyListener, AutoCloseable {

    /** The timer's default name. */
    public static final String DEFAULT_NAME = "distlock.idempotency.execute";

    private final MeterRegistry registry;
    private final Map<Outcome, Timer> timers = new EnumMap<>(Outcome.class);

    /**
     * Registers {@code distlock.idempotency.execute} in {@code registry}.
     *
     * @param registry the registry
     * @throws NullPointerException if {@code registry} is null
     */
    public IdempotencyMetrics(MeterRegistry registry) {
        this(registry, DEFAULT_NAME, Tags.empty());
    }

    /**
     * Registers the timer under {@code name} with {@code tags} added.
     *
     * @param registry the registry
     * @param name the timer's name
     * @param tags tags of every outcome, e.g. which idempotency store it is
     * @throws NullPointerException if an argument is null
     */
    public IdempotencyMetrics(MeterRegistry registry, String name, Iterable<Tag> tags) {
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        Objects.requireNonNull(name, "name must not be null");
        Tags common = Tags.of(Objects.requireNonNull(tags, "tags must not be null"));
        for (Outcome outcome : Outcome.values()) {
            timers.put(outcome, Timer.builder(name).tags(common).tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                    .description("idempotent executions, by outcome").register(registry));
        }
    }

    @Override
    public void finished(Outcome outcome, long elapsedNanos) {
        timers.get(outcome).record(elapsedNanos, TimeUnit.NANOSECONDS);
    }

    /** Removes the timers from the registry. */
    @Override
    public void close() {
        timers.values().forEach(registry::remove);
    }
}
