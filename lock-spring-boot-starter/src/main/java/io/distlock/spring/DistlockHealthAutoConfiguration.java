package io.distlock.spring;

import io.distlock.LockManager;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code distlock} health indicator, when Spring Boot's health support (Actuator) is on the class path and
 * {@code management.health.distlock.enabled} is not false.
 */
@AutoConfiguration(after = DistlockAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(LockManager.class)
@ConditionalOnEnabledHealthIndicator("distlock")
public class DistlockHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "distlockHealthIndicator")
    HealthIndicator distlockHealthIndicator(LockManager locks) {
        return new DistlockHealthIndicator(locks);
    }
}
