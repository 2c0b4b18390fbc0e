package io.distlock.micrometer;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Meters and observations of a local manager. */
class LockInstrumentationTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private static String table() {
        return "metrics-" + UUID.randomUUID();
    }

    private long acquireCount(String outcome) {
        return meters.get("distlock.acquire").tag("outcome", outcome).tag("backend", "local")
                .tag("manager", "orders").timer().count();
    }

    @Test
    void acquisitionsAreTimedByOutcomeAndHeldLocksAreActiveTasks() throws InterruptedException {
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).managerName("orders").build();
        String table = table();
        try (LockManager other = LocalLockManager.builder().name(table).build();
             LockManager locks = LocalLockManager.builder().name(table)
                     .settings(instrumentation.addTo(LockSettings.defaults())).build()) {
            LockHandle handle = locks.tryLock("user-update:alice").orElseThrow();
            assertThat(meters.get("distlock.held.active").longTaskTimer().activeTasks()).isEqualTo(1);
            assertThat(locks.tryLock("user-update:alice")).isEmpty();
            try (LockHandle elsewhere = other.tryLock("user-update:bob").orElseThrow()) {
                assertThat(locks.tryLock("user-update:bob")).isEmpty();
                assertThat(locks.tryLock("user-update:bob", Duration.ofMillis(20))).isEmpty();
            }
            handle.close();
            assertThat(meters.get("distlock.held.active").longTaskTimer().activeTasks()).isZero();
            assertThat(acquireCount("acquired")).isEqualTo(1);
            assertThat(acquireCount("contended")).isEqualTo(2);
            assertThat(acquireCount("timeout")).isEqualTo(1);
            assertThat(acquireCount("error")).isZero();
            // Keys are never tags.
            assertThat(meters.getMeters()).flatExtracting(meter -> meter.getId().getTags()).extracting(Tag::getValue)
                    .noneMatch(value -> value.contains("alice") || value.contains("bob"));
        }
        assertThat(meters.getMeters()).as("meters of a closed manager are removed").isEmpty();
    }

    @Test
    void lostLocksRenewalsAndBackendErrorsAreCounted() {
        LocalFaults faults = new LocalFaults();
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).managerName("orders").build();
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofMillis(300))
                .withOperationTimeout(Duration.ofMillis(100));
        try (LockManager locks = LocalLockManager.builder().name(table()).faults(faults)
                .settings(instrumentation.addTo(settings)).build()) {
            LockHandle handle = locks.tryLock("k").orElseThrow();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    meters.get("distlock.renewals").tag("outcome", "renewed").counter().count() >= 1);
            faults.loseAllLocks();
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    meters.get("distlock.lost").tag("reason", "not_owner").counter().count() == 1);
            assertThat(meters.get("distlock.held.active").longTaskTimer().activeTasks()).isZero();
            handle.close();
            faults.startOutage();
            assertThatThrownBy(() -> locks.tryLock("k")).isInstanceOf(LockBackendException.class);
            faults.endOutage();
            assertThat(meters.get("distlock.backend.errors").tag("operation", "acquire").tag("kind", "outage")
                    .counter().count())
                    .isEqualTo(1);
            assertThat(acquireCount("error")).isEqualTo(1);
            assertThat(meters.get("distlock.lost").tag("reason", "backend_unreachable").counter().count()).isZero();
        }
    }

    @Test
    void namesCanBeChangedThroughTheConvention() {
        LockMeterConvention renamed = new LockMeterConvention() {
            @Override
            public String acquireName() {
                return "locks.acquire";
            }
        };
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).meterConvention(renamed)
                .tags(java.util.List.of(Tag.of("app", "shop"))).build();
        try (LockManager locks = instrumentation.create(URI.create("local://" + table()))) {
            locks.tryLock("k").orElseThrow().close();
            assertThat(meters.get("locks.acquire").tag("outcome", "acquired").tag("app", "shop")
                    .tag("manager", "default").timer().count()).isEqualTo(1);
            assertThat(meters.find("distlock.acquire").meters()).isEmpty();
        }
    }

    @Test
    void oneInstrumentationServesOneManager() {
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).build();
        LockSettings settings = instrumentation.addTo(LockSettings.defaults());
        try (LockManager first = LocalLockManager.builder().name(table()).settings(settings).build()) {
            try (LockManager second = LocalLockManager.builder().name(table()).settings(settings).build()) {
                // The second manager works, without these meters.
                second.tryLock("k").orElseThrow().close();
            }
            first.tryLock("k").orElseThrow().close();
            assertThat(meters.get("distlock.acquire").tag("outcome", "acquired").timer().count()).isEqualTo(1);
        }
    }

    @Test
    void eachAcquisitionIsAnObservationInScopeWhileTheCallRuns() throws InterruptedException {
        TestObservationRegistry observations = TestObservationRegistry.create();
        AtomicReference<Observation> current = new AtomicReference<>();
        LockListener scopeProbe = new LockListener() {
            @Override
            public void acquired(LockHandle handle, long waitedNanos) {
                current.set(observations.getCurrentObservation());
            }
        };
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).observationRegistry(observations)
                .managerName("orders").build();
        String table = table();
        try (LockManager other = LocalLockManager.builder().name(table).build();
             LockManager locks = instrumentation.observe(LocalLockManager.builder().name(table)
                     .settings(instrumentation.addTo(LockSettings.defaults()).withListener(scopeProbe)).build())) {
            Observation request = Observation.start("http.request", observations);
            try (Observation.Scope scope = request.openScope()) {
                locks.tryLock("order:42", Duration.ofSeconds(1)).orElseThrow().close();
            } finally {
                request.stop();
            }
            assertThat(current.get()).isNotNull();
            assertThat(current.get().getContext().getName()).isEqualTo("distlock.lock.acquire");
            assertThat(current.get().getContext().getParentObservation()).isSameAs(request);
            try (LockHandle elsewhere = other.tryLock("order:43").orElseThrow()) {
                assertThat(locks.tryLock("order:43")).isEmpty();
            }
        }
        assertThat(observations).hasNumberOfObservationsWithNameEqualTo("distlock.lock.acquire", 2);
        assertThat(observations).hasObservationWithNameEqualTo("distlock.lock.acquire").that()
                .hasContextualNameEqualTo("lock acquire")
                .hasLowCardinalityKeyValue("distlock.backend", "local")
                .hasLowCardinalityKeyValue("distlock.manager", "orders")
                .doesNotHaveHighCardinalityKeyValueWithKey("distlock.key")
                .hasBeenStarted().hasBeenStopped();
        assertThat(observations).hasAnObservationWithAKeyValue("distlock.outcome", "acquired")
                .hasAnObservationWithAKeyValue("distlock.outcome", "contended")
                .hasAnObservationWithAKeyValue("distlock.mode", "wait");
    }

    @Test
    void keysAreTraceAttributesOnlyWhenAskedFor() {
        TestObservationRegistry observations = TestObservationRegistry.create();
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).observationRegistry(observations)
                .recordKeys(true).build();
        try (LockManager locks = instrumentation.create(URI.create("local://" + table()))) {
            locks.tryLock("order:42").orElseThrow().close();
        }
        assertThat(observations).hasSingleObservationThat().hasHighCardinalityKeyValue("distlock.key", "order:42")
                .hasLowCardinalityKeyValue("distlock.mode", "try");
        assertThat(meters.getMeters()).extracting(Meter::getId).isEmpty();
    }
}
