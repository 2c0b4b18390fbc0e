package io.distlock.spring;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The application's DataSource as the lock backend: chosen when nothing more deliberate is there (a client bean or
 * distlock.uri wins), never closed by distlock, and refused when switched off.
 */
class JdbcBackendAutoConfigurationTest {

    private static TestRedis redis;
    private static RedissonClient redisson;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DistlockAutoConfiguration.class,
                    DistlockJdbcAutoConfiguration.class, DistlockHealthAutoConfiguration.class));

    @BeforeAll
    static void startRedis() {
        redis = TestRedis.start();
        redisson = redis.client();
    }

    @AfterAll
    static void stopRedis() {
        if (redisson != null) {
            redisson.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /**
     * Spring itself would close an AutoCloseable bean with the context: switch that off, so that the test sees
     * whether distlock closes the application's pool.
     */
    static final org.springframework.beans.factory.config.BeanDefinitionCustomizer NOT_CLOSED_BY_SPRING =
            definition -> ((org.springframework.beans.factory.support.AbstractBeanDefinition) definition)
                    .setDestroyMethodName("");

    static HikariDataSource h2() {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        pool.setMaximumPoolSize(4);
        return pool;
    }

    /** How many locks are held in the data source's distlock_locks table (0 if there is no such table). */
    static int heldRows(DataSource dataSource) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Integer tables = jdbc.queryForObject("SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES "
                + "WHERE LOWER(TABLE_NAME) = 'distlock_locks'", Integer.class);
        if (tables == null || tables == 0) {
            return 0;
        }
        Integer held = jdbc.queryForObject("SELECT COUNT(*) FROM distlock_locks WHERE owner IS NOT NULL",
                Integer.class);
        return held == null ? 0 : held;
    }

    @Test
    void only_a_data_source_makes_a_jdbc_manager_on_it_and_leaves_the_pool_open() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING).withPropertyValues("distlock.jdbc.create-schema=true")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        try (LockHandle ignored = context.getBean(LockManager.class).tryLock("k").orElseThrow()) {
                            assertThat(heldRows(pool)).as("the lock is a row of the application's database")
                                    .isEqualTo(1);
                        }
                        assertThat(heldRows(pool)).isZero();
                    });
            assertThat(pool.isClosed()).as("the application's pool is the application's to close").isFalse();
        }
    }

    @Test
    void a_redisson_client_bean_wins_over_the_data_source() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING).withBean(RedissonClient.class, () -> redisson)
                    .withPropertyValues("distlock.jdbc.create-schema=true").run(context -> {
                        assertThat(context).hasNotFailed();
                        String key = "redis-wins-" + UUID.randomUUID();
                        try (LockHandle ignored = context.getBean(LockManager.class).tryLock(key).orElseThrow()) {
                            assertThat(heldRows(pool)).as("nothing in the database").isZero();
                            assertThat(redisson.getKeys().count()).as("the lock is in Redis").isPositive();
                        }
                    });
        }
    }

    @Test
    void distlock_uri_wins_over_the_data_source() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING)
                    .withPropertyValues("distlock.uri=local://t" + UUID.randomUUID()).run(context -> {
                        assertThat(context).hasNotFailed();
                        try (LockHandle ignored = context.getBean(LockManager.class).tryLock("k").orElseThrow()) {
                            assertThat(heldRows(pool)).isZero();
                        }
                    });
        }
    }

    @Test
    void distlock_jdbc_enabled_false_keeps_the_data_source_out_of_the_choice() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING).withPropertyValues("distlock.jdbc.enabled=false")
                    .run(context -> {
                        assertThat(context).hasFailed();
                        assertThat(context.getStartupFailure()).rootCause()
                                .hasMessageContaining("distlock has no backend")
                                .hasMessageContaining("javax.sql.DataSource (with io.distlock:lock-jdbc");
                    });
        }
    }

    @Test
    void without_lock_jdbc_on_the_class_path_a_data_source_is_not_a_backend() {
        try (HikariDataSource pool = h2()) {
            runner.withClassLoader(new FilteredClassLoader("io.distlock.jdbc"))
                    .withBean(DataSource.class, () -> pool).run(context -> {
                        assertThat(context).hasFailed();
                        assertThat(context.getStartupFailure()).rootCause()
                                .hasMessageContaining("distlock has no backend");
                    });
        }
    }

    @Test
    void a_missing_table_fails_start_up_naming_the_scripts() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING).run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).hasStackTraceContaining("distlock_locks")
                        .hasStackTraceContaining("createSchema");
            });
        }
    }

    @Test
    void the_record_store_and_idempotency_keys_use_the_same_data_source() {
        try (HikariDataSource pool = h2()) {
            runner.withBean(DataSource.class, () -> pool, NOT_CLOSED_BY_SPRING).withPropertyValues("distlock.jdbc.create-schema=true")
                    .run(context -> {
                        assertThat(context.getBean(RecordStore.class).name()).isEqualTo("jdbc");
                        IdempotencyKeys keys = context.getBean(IdempotencyKeys.class);
                        AtomicInteger runs = new AtomicInteger();
                        for (int i = 0; i < 2; i++) {
                            assertThat(keys.execute("order-1", "body", Duration.ofMinutes(1), ResultCodec.strings(),
                                    lock -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
                        }
                        Integer records = new JdbcTemplate(pool).queryForObject(
                                "SELECT COUNT(*) FROM distlock_records", Integer.class);
                        assertThat(records).isPositive();
                    });
            assertThat(pool.isClosed()).isFalse();
        }
    }

    @Test
    void a_jdbc_uri_takes_the_lock_properties_as_parameters_and_gives_the_record_store_too() {
        String url = "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        runner.withPropertyValues("distlock.uri=" + url + "?createSchema=true", "distlock.lease=6s",
                "distlock.operation-timeout=1s").run(context -> {
                    assertThat(context).hasNotFailed();
                    try (LockHandle handle = context.getBean(LockManager.class).tryLock("k").orElseThrow()) {
                        assertThat(handle.isHeld()).isTrue();
                    }
                    assertThat(context.getBean(RecordStore.class).name()).isEqualTo("jdbc");
                });
    }

    @Test
    void a_transaction_aware_proxy_is_looked_through_so_locks_never_join_a_transaction() {
        try (HikariDataSource pool = h2()) {
            DataSource proxy = new TransactionAwareDataSourceProxy(pool);
            assertThat(BackendCandidates.Jdbc.autoCommitting(proxy)).isSameAs(pool);
            assertThat(BackendCandidates.Jdbc.autoCommitting(pool)).isSameAs(pool);
        }
    }
}
