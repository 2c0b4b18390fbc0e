package io.distlock.spring;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.TokenOutcome;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.local.LocalLockManager;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class DistlockAutoConfigurationTest {

    static final AutoConfigurations DISTLOCK = AutoConfigurations.of(DistlockAutoConfiguration.class,
            DistributedLockAutoConfiguration.class, DistlockHealthAutoConfiguration.class);

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(DISTLOCK);

    private static String table() {
        return "t" + UUID.randomUUID();
    }

    @Test
    void without_a_backend_start_up_fails_naming_every_choice() {
        runner.run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("distlock has no backend")
                    .hasMessageContaining("distlock.uri").hasMessageContaining("local://NAME")
                    .hasMessageContaining("org.redisson.api.RedissonClient (with io.distlock:lock-redis)")
                    .hasMessageContaining("CuratorFramework (with io.distlock:lock-zookeeper)")
                    .hasMessageContaining("HazelcastInstance (with io.distlock:lock-hazelcast)")
                    .hasMessageContaining("no in-process default");
        });
    }

    @Test
    void without_backend_modules_on_the_class_path_the_message_still_names_the_choices() {
        runner.withClassLoader(new FilteredClassLoader("io.distlock.redis", "io.distlock.zookeeper",
                "io.distlock.hazelcast", "io.distlock.jdbc")).run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("Backend modules on the class path that found no client bean: none")
                            .hasMessageContaining("io.distlock:lock-redis");
                });
    }

    @Test
    void distlock_uri_makes_the_manager_with_the_application_name_as_key_prefix() {
        String table = table();
        runner.withPropertyValues("distlock.uri=local://" + table, "spring.application.name=orders")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(LockManager.class);
                    LockManager locks = context.getBean(LockManager.class);
                    try (LockManager other = LocalLockManager.builder().name(table)
                            .settings(LockSettings.defaults().withKeyPrefix("orders:")).build();
                         LockHandle held = locks.tryLock("k").orElseThrow()) {
                        assertThat(held.isHeld()).isTrue();
                        assertThat(other.tryLock("k")).as("same key under the prefix 'orders:'").isEmpty();
                    }
                });
    }

    @Test
    void lock_settings_properties_become_uri_parameters() {
        runner.withPropertyValues("distlock.uri=local://" + table(), "distlock.lease=5s",
                "distlock.operation-timeout=700ms", "distlock.renewal=false", "distlock.key-prefix=x:")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(LockManager.class));
    }

    @Test
    void a_setting_given_both_in_the_uri_and_as_a_property_fails_naming_both() {
        runner.withPropertyValues("distlock.uri=local://" + table() + "?lease=10s", "distlock.lease=5s")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("distlock.uri sets 'lease' and so does distlock.lease");
                });
    }

    @Test
    void an_unknown_uri_scheme_fails_naming_the_known_ones() {
        runner.withPropertyValues("distlock.uri=etcd3://localhost:2379").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("unknown lock URI scheme 'etcd3'");
        });
    }

    @Test
    void the_manager_made_from_the_uri_is_closed_with_the_context() {
        LockManager[] seen = new LockManager[1];
        runner.withPropertyValues("distlock.uri=local://" + table()).run(context ->
                seen[0] = context.getBean(LockManager.class));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> seen[0].tryLock("k"))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void an_application_lock_manager_wins() {
        LockManager own = LocalLockManager.builder().name(table()).build();
        runner.withBean(LockManager.class, () -> own).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(LockManager.class)).isSameAs(own);
        });
        own.close();
    }

    @Test
    void local_uri_gives_idempotency_keys_and_one_time_tokens_on_a_local_record_store() {
        runner.withPropertyValues("distlock.uri=local://" + table()).run(context -> {
            IdempotencyKeys keys = context.getBean(IdempotencyKeys.class);
            AtomicInteger runs = new AtomicInteger();
            for (int i = 0; i < 2; i++) {
                assertThat(keys.execute("k", "body", Duration.ofMinutes(1), ResultCodec.strings(),
                        lock -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
            }
            OneTimeTokens tokens = context.getBean(OneTimeTokens.class);
            String token = tokens.issue("form", Duration.ofMinutes(1));
            assertThat(tokens.consume("form", token)).isEqualTo(TokenOutcome.CONSUMED);
            assertThat(context.getBean(RecordStore.class).name()).startsWith("local:");
        });
    }

    @Test
    void decorators_wrap_the_manager_in_order() {
        StringBuilder calls = new StringBuilder();
        runner.withPropertyValues("distlock.uri=local://" + table())
                .withBean("second", LockManagerDecorator.class, () -> new Ordered(2, calls))
                .withBean("first", LockManagerDecorator.class, () -> new Ordered(1, calls))
                .run(context -> {
                    context.getBean(LockManager.class).tryLock("k").ifPresent(LockHandle::close);
                    assertThat(calls).hasToString("21");
                });
    }

    /** Records its order digit on every tryLock, outermost first. */
    record Ordered(int order, StringBuilder calls) implements LockManagerDecorator, org.springframework.core.Ordered {
        @Override
        public int getOrder() {
            return order;
        }

        @Override
        public LockManager decorate(LockManager manager) {
            return new LockManager() {
                @Override
                public Optional<LockHandle> tryLock(String key) {
                    calls.append(order);
                    return manager.tryLock(key);
                }

                @Override
                public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
                    calls.append(order);
                    return manager.tryLock(key, wait);
                }

                @Override
                public void close() {
                    manager.close();
                }
            };
        }
    }

    @Test
    void health_is_up_when_the_backend_answers_and_can_be_switched_off() {
        runner.withPropertyValues("distlock.uri=local://" + table()).run(context -> {
            Health health = context.getBean("distlockHealthIndicator", HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsKey("lockAttemptMicros");
        });
        runner.withPropertyValues("distlock.uri=local://" + table(), "management.health.distlock.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean("distlockHealthIndicator"));
        runner.withPropertyValues("distlock.uri=local://" + table())
                .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("distlockHealthIndicator"));
    }

    @Nested
    class With_a_Redis_client_bean {
        static TestRedis redis;

        @BeforeAll
        static void startRedis() {
            redis = TestRedis.start();
        }

        @AfterAll
        static void stopRedis() {
            redis.close();
        }

        @Test
        void the_manager_and_the_record_store_use_it_and_leave_it_open() {
            RedissonClient client = redis.client();
            try {
                runner.withBean(RedissonClient.class, () -> client).run(context -> {
                    assertThat(context).hasNotFailed();
                    LockManager locks = context.getBean(LockManager.class);
                    try (LockHandle held = locks.tryLock("k").orElseThrow()) {
                        assertThat(held.fencingToken()).isPositive();
                    }
                    assertThat(context.getBean(RecordStore.class).name()).contains("redis");
                });
                assertThat(client.isShutdown()).as("the application's client is not closed by us").isFalse();
            } finally {
                client.shutdown();
            }
        }

        @Test
        void distlock_uri_takes_precedence_over_the_client_bean() {
            RedissonClient client = redis.client();
            try {
                runner.withBean(RedissonClient.class, () -> client)
                        .withPropertyValues("distlock.uri=local://" + table()).run(context ->
                                assertThat(context.getBean(RecordStore.class).name()).startsWith("local:"));
            } finally {
                client.shutdown();
            }
        }

        @Test
        void two_clients_without_a_primary_fail_naming_them() {
            RedissonClient first = redis.client();
            RedissonClient second = redis.client();
            try {
                runner.withBean("first", RedissonClient.class, () -> first)
                        .withBean("second", RedissonClient.class, () -> second).run(context -> {
                            assertThat(context).hasFailed();
                            assertThat(context.getStartupFailure()).rootCause()
                                    .hasMessageContaining("2 RedissonClient beans [first, second]")
                                    .hasMessageContaining("@Primary");
                        });
                runner.withUserConfiguration(TwoClients.class).withBean("first", RedissonClient.class, () -> first)
                        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(LockManager.class));
            } finally {
                first.shutdown();
                second.shutdown();
            }
        }

        @Test
        void health_is_down_with_the_cause_when_the_server_is_gone() {
            try (TestRedis doomed = TestRedis.start()) {
                RedissonClient client = doomed.client();
                try {
                    runner.withBean(RedissonClient.class, () -> client)
                            .withPropertyValues("distlock.operation-timeout=1s").run(context -> {
                                HealthIndicator health = context.getBean("distlockHealthIndicator",
                                        HealthIndicator.class);
                                assertThat(health.health().getStatus()).isEqualTo(Status.UP);
                                doomed.kill();
                                Health down = health.health();
                                assertThat(down.getStatus()).isEqualTo(Status.DOWN);
                                assertThat(down.getDetails()).containsKey("error");
                            });
                } finally {
                    client.shutdown();
                }
            }
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoClients {
        @Bean
        @Primary
        RedissonClient primary() {
            return With_a_Redis_client_bean.redis.client();
        }
    }

    @Nested
    class With_a_Curator_client_bean {
        @Test
        void the_manager_and_the_record_store_use_it_and_leave_it_open() throws Exception {
            try (TestingServer server = new TestingServer(TestRedis.freePort(), true);
                 CuratorFramework client = CuratorFrameworkFactory.newClient(server.getConnectString(), 15_000, 3000,
                         new RetryOneTime(100))) {
                client.start();
                client.blockUntilConnected();
                runner.withBean(CuratorFramework.class, () -> client).run(context -> {
                    assertThat(context).hasNotFailed();
                    try (LockHandle held = context.getBean(LockManager.class).tryLock("k").orElseThrow()) {
                        assertThat(held.isHeld()).isTrue();
                    }
                    assertThat(context.getBean(RecordStore.class).name()).containsIgnoringCase("zookeeper");
                    // What the context does with the application's own bean at shutdown is the application's
                    // business; closing our manager must leave the client alone.
                    context.getBean(LockManager.class).close();
                    context.getBean(RecordStore.class).close();
                    assertThat(client.getState()).isEqualTo(CuratorFrameworkState.STARTED);
                });
            }
        }
    }

    @Nested
    class With_a_Hazelcast_instance_bean {
        @Test
        void the_manager_and_the_record_store_use_it_and_leave_it_running() {
            try (TestHazelcast hazelcast = TestHazelcast.start()) {
                HazelcastInstance member = hazelcast.member();
                runner.withBean(HazelcastInstance.class, () -> member).run(context -> {
                    assertThat(context).hasNotFailed();
                    try (LockHandle held = context.getBean(LockManager.class).tryLock("k").orElseThrow()) {
                        assertThat(held.isHeld()).isTrue();
                    }
                    assertThat(context.getBean(RecordStore.class).name()).containsIgnoringCase("hazelcast");
                    context.getBean(LockManager.class).close();
                    context.getBean(RecordStore.class).close();
                    assertThat(member.getLifecycleService().isRunning()).isTrue();
                });
            }
        }

        @Test
        void a_redisson_client_comes_before_a_hazelcast_instance() {
            try (TestHazelcast hazelcast = TestHazelcast.start(); TestRedis redis = TestRedis.start()) {
                RedissonClient client = redis.client();
                try {
                    runner.withBean(HazelcastInstance.class, hazelcast::member)
                            .withBean(RedissonClient.class, () -> client).run(context ->
                                    assertThat(context.getBean(RecordStore.class).name()).contains("redis"));
                } finally {
                    client.shutdown();
                }
            }
        }
    }
}
