package io.distlock.spring;

import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.ResultCodec;
import io.distlock.micrometer.IdempotencyMetrics;
import io.distlock.micrometer.LockInstrumentation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Duration;
import java.util.UUID;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/** lock-micrometer is wired when it is on the class path and there is a MeterRegistry bean, and only then. */
class DistlockMicrometerAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DistlockMicrometerAutoConfiguration.class,
                    DistlockAutoConfiguration.class))
            .withPropertyValues("distlock.uri=local://m" + UUID.randomUUID(), "spring.application.name=orders");

    @Configuration(proxyBeanMethods = false)
    static class Meters {
        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Observations {
        @Bean
        TestObservationRegistry observationRegistry() {
            return TestObservationRegistry.create();
        }
    }

    @Test
    void with_a_meter_registry_the_manager_has_meters_named_after_the_application() {
        runner.withUserConfiguration(Meters.class).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(LockInstrumentation.class)
                    .hasSingleBean(IdempotencyMetrics.class);
            LockManager locks = context.getBean(LockManager.class);
            locks.tryLock("k").orElseThrow().close();
            assertThat(locks.tryLock("k")).isPresent().get().satisfies(handle -> {
                assertThat(locks.tryLock("k")).isEmpty();
                handle.close();
            });
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            assertThat(meters.get("distlock.acquire").tag("manager", "orders").tag("backend", "local")
                    .tag("outcome", "acquired").timer().count()).isEqualTo(2);
            assertThat(meters.get("distlock.acquire").tag("outcome", "contended").timer().count()).isEqualTo(1);

            IdempotencyKeys keys = context.getBean(IdempotencyKeys.class);
            keys.execute("payment", "body", Duration.ofMinutes(1), ResultCodec.strings(), lock -> "done");
            assertThat(meters.get("distlock.idempotency.execute").tag("outcome", "executed").timer().count())
                    .isEqualTo(1);
        });
    }

    @Test
    void the_meters_go_when_the_context_closes() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> meters).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(meters.find("distlock.acquire").meters()).isNotEmpty();
        });
        assertThat(meters.find("distlock.acquire").meters()).isEmpty();
        assertThat(meters.find("distlock.idempotency.execute").meters()).isEmpty();
    }

    @Test
    void with_an_observation_registry_each_acquisition_is_observed() {
        runner.withUserConfiguration(Meters.class, Observations.class).run(context -> {
            assertThat(context).hasNotFailed();
            context.getBean(LockManager.class).tryLock("k").orElseThrow().close();
            assertThat(context.getBean(TestObservationRegistry.class)).hasSingleObservationThat()
                    .hasNameEqualTo("distlock.lock.acquire")
                    .hasLowCardinalityKeyValue("distlock.manager", "orders")
                    .hasLowCardinalityKeyValue("distlock.outcome", "acquired");
        });
    }

    @Test
    void without_a_meter_registry_nothing_is_added() {
        runner.run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(LockInstrumentation.class)
                    .doesNotHaveBean(IdempotencyMetrics.class).hasSingleBean(LockManager.class);
        });
    }

    @Test
    void without_lock_micrometer_on_the_class_path_nothing_is_added() {
        runner.withUserConfiguration(Meters.class).withClassLoader(new FilteredClassLoader("io.distlock.micrometer"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LockInstrumentation.class)
                        .hasSingleBean(LockManager.class));
    }

    @Test
    void it_can_be_switched_off() {
        runner.withUserConfiguration(Meters.class).withPropertyValues("distlock.metrics.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(LockInstrumentation.class));
    }
}
