package io.distlock.spring;

import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Transactional idempotency through Spring: inside a {@code @Transactional} method with Boot's
 * {@code DataSourceTransactionManager}, the record goes through the transaction's connection, so the business write
 * (a {@code JdbcTemplate} insert) and the record commit or roll back together. On H2 and on a real PostgreSQL.
 */
class JdbcTransactionalIdempotencyTest {

    /** The business service: an order insert and the idempotency record in one Spring transaction. */
    public static class Orders {
        private final JdbcTemplate jdbc;
        private final JdbcTransactionalIdempotency idempotency;
        private final AtomicInteger runs = new AtomicInteger();

        public Orders(JdbcTemplate jdbc, JdbcTransactionalIdempotency idempotency) {
            this.jdbc = jdbc;
            this.idempotency = idempotency;
        }

        /**
         * Places an order once per key. {@code inside} runs inside the operation after the insert (to hold the
         * transaction open); {@code failAfter} throws after the record was completed, so everything rolls back.
         */
        @Transactional
        public String place(String key, int amount, Runnable inside, boolean failAfter) {
            String result = idempotency.execute(key, "amount=" + amount, ResultCodec.strings(), connection -> {
                int run = runs.incrementAndGet();
                jdbc.update("INSERT INTO test_orders (request_key, amount) VALUES (?, ?)", key, amount);
                inside.run();
                return "order of " + amount + ", run " + run;
            });
            if (failAfter) {
                throw new IllegalStateException("rolled back after the write");
            }
            return result;
        }

        public String placeWithoutTransaction(String key) {
            return idempotency.execute(key, "x", ResultCodec.strings(), connection -> "never");
        }

        /** How often the operation ran (a method: the bean is a proxy, whose own fields are unset). */
        public int runs() {
            return runs.get();
        }

        public int orders(String key) {
            Integer count = jdbc.queryForObject("SELECT COUNT(*) FROM test_orders WHERE request_key = ?",
                    Integer.class, key);
            return count == null ? 0 : count;
        }

        public int records() {
            Integer count = jdbc.queryForObject("SELECT COUNT(*) FROM distlock_idempotency", Integer.class);
            return count == null ? 0 : count;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {
        @Bean
        Orders orders(JdbcTemplate jdbc, JdbcTransactionalIdempotency idempotency) {
            jdbc.execute("CREATE TABLE IF NOT EXISTS test_orders (request_key VARCHAR(100) NOT NULL, "
                    + "amount INT NOT NULL)");
            return new Orders(jdbc, idempotency);
        }
    }

    abstract static class Kit {

        abstract String url();

        abstract String user();

        ApplicationContextRunner runner() {
            return new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class,
                            DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
                            TransactionAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                            DistlockAutoConfiguration.class, DistlockJdbcAutoConfiguration.class))
                    .withPropertyValues("spring.datasource.url=" + url(), "spring.datasource.username=" + user(),
                            "spring.datasource.generate-unique-name=false",
                            "spring.datasource.hikari.connection-timeout=2000",
                            // The locks on the same DataSource create the tables, the idempotency one too.
                            "distlock.jdbc.create-schema=true", "distlock.jdbc.lock-wait=1s")
                    .withUserConfiguration(Config.class);
        }

        private static String key() {
            return "order-" + UUID.randomUUID();
        }

        @Test
        void a_commit_stores_the_result_and_a_retry_replays_it_without_running() {
            runner().run(context -> {
                // The DataSource is the lock backend too, so the locks' schema creation made the table.
                context.getBean(io.distlock.LockManager.class);
                Orders orders = context.getBean(Orders.class);
                String key = key();
                assertThat(orders.place(key, 5, () -> { }, false)).isEqualTo("order of 5, run 1");
                assertThat(orders.place(key, 5, () -> { }, false)).as("replayed").isEqualTo("order of 5, run 1");
                assertThat(orders.runs()).isEqualTo(1);
                assertThat(orders.orders(key)).isEqualTo(1);
                assertThatThrownBy(() -> orders.place(key, 6, () -> { }, false))
                        .isInstanceOf(KeyReusedException.class);
                assertThat(orders.orders(key)).isEqualTo(1);
            });
        }

        @Test
        void a_rollback_leaves_neither_the_write_nor_the_record_so_the_retry_runs_again() {
            runner().run(context -> {
                context.getBean(io.distlock.LockManager.class);
                Orders orders = context.getBean(Orders.class);
                String key = key();
                int before = orders.records();
                assertThatThrownBy(() -> orders.place(key, 7, () -> { }, true))
                        .hasMessage("rolled back after the write");
                assertThat(orders.orders(key)).isZero();
                assertThat(orders.records()).as("the record rolled back with the write").isEqualTo(before);
                assertThat(orders.place(key, 7, () -> { }, false)).isEqualTo("order of 7, run 2");
                assertThat(orders.orders(key)).isEqualTo(1);
            });
        }

        @Test
        void a_concurrent_duplicate_is_in_progress_at_once_not_after_the_first_commits() {
            runner().run(context -> {
                context.getBean(io.distlock.LockManager.class);
                Orders orders = context.getBean(Orders.class);
                String key = key();
                CountDownLatch inside = new CountDownLatch(1);
                CountDownLatch finish = new CountDownLatch(1);
                // Threads of their own: the common pool may have a single thread, which the first call occupies.
                ExecutorService threads = Executors.newFixedThreadPool(2);
                CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> orders.place(key, 9, () -> {
                    inside.countDown();
                    try {
                        // The first transaction stays open until the duplicate has had its answer.
                        finish.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, false), threads);
                try {
                    assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
                    // If the duplicate waited for the first commit it would wait forever here: the first commits
                    // only after this answer. A bounded get turns that into a failure instead of a hang.
                    CompletableFuture<String> duplicate = CompletableFuture.supplyAsync(
                            () -> orders.place(key, 9, () -> { }, false), threads);
                    assertThatThrownBy(() -> duplicate.get(30, TimeUnit.SECONDS))
                            .hasCauseInstanceOf(RequestInProgressException.class);
                } finally {
                    finish.countDown();
                    threads.shutdown();
                }
                assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("order of 9, run 1");
                assertThat(orders.place(key, 9, () -> { }, false)).as("replayed after the commit")
                        .isEqualTo("order of 9, run 1");
                assertThat(orders.orders(key)).isEqualTo(1);
            });
        }

        @Test
        void outside_a_transaction_it_refuses_before_writing_anything() {
            runner().run(context -> {
                Orders orders = context.getBean(Orders.class);
                assertThatThrownBy(() -> orders.placeWithoutTransaction(key()))
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("@Transactional");
            });
        }
    }

    @Nested
    class OnH2 extends Kit {
        private final String url = "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";

        @Override
        String url() {
            return url;
        }

        @Override
        String user() {
            return "sa";
        }
    }

    private static TestPostgres postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = TestPostgres.start();
    }

    @AfterAll
    static void stopPostgres() {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Nested
    class OnPostgreSql extends Kit {
        @Override
        String url() {
            return postgres.url();
        }

        @Override
        String user() {
            return "postgres";
        }
    }

    @Test
    void without_a_single_data_source_there_is_no_bean() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DistlockJdbcAutoConfiguration.class))
                .run(context -> assertThat(context).doesNotHaveBean(JdbcTransactionalIdempotency.class));
    }

    @Test
    void the_bean_can_be_switched_off() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class,
                        DistlockJdbcAutoConfiguration.class))
                .withPropertyValues("spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID(),
                        "distlock.jdbc.transactional-idempotency=false")
                .run(context -> assertThat(context).doesNotHaveBean(JdbcTransactionalIdempotency.class));
    }

}
