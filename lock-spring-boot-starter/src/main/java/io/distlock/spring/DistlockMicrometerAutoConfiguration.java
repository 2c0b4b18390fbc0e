package io.distlock.spring;

import io.distlock.micrometer.IdempotencyMetrics;
import io.distlock.micrometer.LockInstrumentation;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Meters and observations for the auto-configured {@link io.distlock.LockManager} when
 * {@code io.distlock:lock-micrometer} is on the class path and the application has a {@link MeterRegistry} bean
 * (Spring Boot's actuator makes one): a {@link LockInstrumentation} whose events feed the meters, a decorator that
 * adds one observation per acquisition when there is an {@link ObservationRegistry} bean, and
 * {@link IdempotencyMetrics} for the idempotency keys. The {@code manager} tag is {@code spring.application.name}
 * (or {@code default}). Off with {@code distlock.metrics.enabled=false}; an application's own
 * {@code LockInstrumentation} bean replaces this one.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration"},
        beforeName = "io.distlock.spring.DistlockAutoConfiguration")
@ConditionalOnClass({LockInstrumentation.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
@ConditionalOnProperty(prefix = "distlock.metrics", name = "enabled", matchIfMissing = true)
public class DistlockMicrometerAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    LockInstrumentation distlockLockInstrumentation(MeterRegistry meters,
                                                    ObjectProvider<ObservationRegistry> observations,
                                                    Environment environment) {
        LockInstrumentation.Builder builder = LockInstrumentation.builder(meters)
                .managerName(environment.getProperty("spring.application.name", "default"));
        observations.ifUnique(builder::observationRegistry);
        return builder.build();
    }

    /** One observation per acquisition, applied first so it times the manager itself. */
    @Bean
    LockManagerDecorator distlockObservationDecorator(LockInstrumentation instrumentation) {
        return instrumentation::observe;
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @ConditionalOnClass(name = "io.distlock.idempotency.IdempotencyListener")
    IdempotencyMetrics distlockIdempotencyMetrics(MeterRegistry meters) {
        return new IdempotencyMetrics(meters);
    }
}
