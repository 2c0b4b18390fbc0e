package io.distlock.spring;

import io.distlock.LockManager;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code distlock} Actuator endpoint ({@link DistlockEndpoint}), when Actuator is on the class path and the
 * endpoint is available: its access is not {@code none} and it is exposed (Boot's rules: over the web only if
 * {@code management.endpoints.web.exposure.include} names it). Otherwise nothing is added, not even the listener
 * that tracks held handles.
 */
@AutoConfiguration(after = DistlockAutoConfiguration.class)
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(LockManager.class)
@ConditionalOnAvailableEndpoint(DistlockEndpoint.class)
public class DistlockEndpointAutoConfiguration {

    /** Picked up by the auto-configured manager like every LockListener bean; its events feed the list. */
    @Bean
    @ConditionalOnMissingBean
    HeldLocks distlockHeldLocks(BackendSelector selector) {
        return new HeldLocks(selector.settings());
    }

    @Bean
    @ConditionalOnMissingBean
    DistlockEndpoint distlockEndpoint(LockManager locks, HeldLocks held) {
        return new DistlockEndpoint(locks, held);
    }
}
