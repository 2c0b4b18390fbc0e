package io.distlock.spring;

import io.distlock.LockListener;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.IdempotencyListener;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.spi.RecordStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Lazy;
import org.springframework.core.env.Environment;

import java.util.List;

/**
 * The {@link LockManager} bean and, on the same backend, the {@link RecordStore}, {@link IdempotencyKeys} and
 * {@link OneTimeTokens} beans. Each backs off when the application defines its own bean of the type.
 *
 * <p>The backend is, in this order: {@code distlock.uri}; else the application's {@code RedissonClient},
 * {@code CuratorFramework} or {@code HazelcastInstance} bean (the application's client, which it keeps closing);
 * else, with {@code lock-jdbc} on the class path, the application's {@code DataSource} (its pool, never closed by
 * distlock; {@code distlock.jdbc.enabled=false} opts out); else start-up fails with a message naming these
 * choices. The record store and the idempotency beans are lazy:
 * they are made, and may fail, only when something needs them (an {@code @Idempotent} controller method does, at
 * start-up).
 */
@AutoConfiguration
@EnableConfigurationProperties(DistlockProperties.class)
@Import({BackendCandidates.Redisson.class, BackendCandidates.Curator.class, BackendCandidates.Hazelcast.class,
        BackendCandidates.Jdbc.class})
public class DistlockAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(DistlockAutoConfiguration.class);

    @Bean
    BackendSelector distlockBackendSelector(DistlockProperties properties, List<BackendCandidate> candidates,
                                            Environment environment) {
        return new BackendSelector(properties, candidates, settings(properties, environment));
    }

    /**
     * The manager on the chosen backend, closed on shutdown, wrapped by every {@link LockManagerDecorator} bean.
     *
     * @throws IllegalStateException if no backend is configured, naming the choices
     */
    @Bean
    @ConditionalOnMissingBean
    LockManager distlockLockManager(BackendSelector selector, ObjectProvider<LockManagerDecorator> decorators,
                                    ObjectProvider<LockListener> listeners) {
        BackendCandidate.Backend backend = selector.select();
        // Listener beans (e.g. lock-micrometer's instrumentation) get every event of the manager.
        LockSettings settings = selector.settings().withListeners(listeners.orderedStream().toList());
        LockManager manager = backend.locks(settings);
        log.info("distlock locks on {} with {}", backend.description(), settings);
        for (LockManagerDecorator decorator : decorators.orderedStream().toList()) {
            manager = decorator.decorate(manager);
        }
        return manager;
    }

    @Bean
    @Lazy
    @ConditionalOnMissingBean
    RecordStore distlockRecordStore(BackendSelector selector) {
        return selector.select().records(selector.settings());
    }

    @Bean
    @Lazy
    @ConditionalOnMissingBean
    IdempotencyKeys distlockIdempotencyKeys(LockManager locks, RecordStore records,
                                            ObjectProvider<IdempotencyListener> listener) {
        IdempotencyKeys.Builder builder = IdempotencyKeys.builder().locks(locks).store(records);
        listener.ifUnique(builder::listener);
        return builder.build();
    }

    @Bean
    @Lazy
    @ConditionalOnMissingBean
    OneTimeTokens distlockOneTimeTokens(RecordStore records) {
        return OneTimeTokens.on(records);
    }

    static LockSettings settings(DistlockProperties properties, Environment environment) {
        LockSettings settings = LockSettings.defaults();
        if (properties.getLease() != null) {
            settings = settings.withLease(properties.getLease());
        }
        if (properties.getRenewal() != null) {
            settings = settings.withRenewal(properties.getRenewal());
        }
        if (properties.getOperationTimeout() != null) {
            settings = settings.withOperationTimeout(properties.getOperationTimeout());
        }
        return settings.withKeyPrefix(properties.effectiveKeyPrefix(
                environment.getProperty("spring.application.name")));
    }
}
