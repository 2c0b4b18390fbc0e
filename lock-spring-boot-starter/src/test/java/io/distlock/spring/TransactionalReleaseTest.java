package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.transaction.autoconfigure.TransactionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Inside a transaction the lock is released after completion, against a real transaction manager on an H2
 * database: a duplicate must never read the first call's uncommitted state.
 */
class TransactionalReleaseTest {

    private static final String TABLE = "t" + UUID.randomUUID();
    private final LockManager replica = LocalLockManager.builder().name(TABLE).build();

    @AfterEach
    void close() {
        replica.close();
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DataSourceAutoConfiguration.class,
                    DataSourceTransactionManagerAutoConfiguration.class, TransactionAutoConfiguration.class,
                    JdbcTemplateAutoConfiguration.class, DistlockAutoConfiguration.class,
                    DistributedLockAutoConfiguration.class))
            .withPropertyValues("distlock.uri=local://" + TABLE,
                    "spring.datasource.url=jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
                    "spring.datasource.generate-unique-name=false")
            .withUserConfiguration(Config.class);

    /** Records whether the lock was held (as a replica sees it) at each point of the transaction. */
    public static class Orders {
        private final JdbcTemplate jdbc;
        private final LockManager replica;
        private final List<String> seen = new CopyOnWriteArrayList<>();

        public Orders(JdbcTemplate jdbc, LockManager replica) {
            this.jdbc = jdbc;
            this.replica = replica;
        }

        public List<String> seen() {
            return seen;
        }

        @Transactional
        @DistributedLock(key = "'order:' + #id")
        public void place(String id, boolean fail) {
            jdbc.update("insert into orders(id) values (?)", id);
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    seen.add("afterCommit held=" + held("order:" + id));
                }

                @Override
                public void afterCompletion(int status) {
                    seen.add("afterCompletion held=" + held("order:" + id));
                }
            });
            if (fail) {
                throw new IllegalStateException("rolled back on purpose");
            }
        }

        @DistributedLock(key = "'inner:' + #id")
        public void inner(String id) {
            jdbc.update("insert into orders(id) values (?)", id);
        }

        String held(String key) {
            return replica.tryLock(key).map(h -> {
                h.close();
                return "false";
            }).orElse("true");
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {
        @Bean
        Orders orders(JdbcTemplate jdbc) {
            jdbc.execute("create table if not exists orders(id varchar(64) primary key)");
            return new Orders(jdbc, LocalLockManager.builder().name(TABLE).build());
        }
    }

    @Test
    void the_lock_is_held_through_commit_and_every_after_commit_callback() {
        runner.run(context -> {
            Orders orders = context.getBean(Orders.class);
            orders.place("1", false);
            assertThat(orders.seen()).containsExactly("afterCommit held=true", "afterCompletion held=true");
            assertThat(orders.held("order:1")).as("released once the transaction completed").isEqualTo("false");
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("select count(*) from orders where id='1'",
                    Integer.class)).isEqualTo(1);
        });
    }

    @Test
    void a_rollback_releases_after_completion_too() {
        runner.run(context -> {
            Orders orders = context.getBean(Orders.class);
            assertThatThrownBy(() -> orders.place("2", true)).hasMessage("rolled back on purpose");
            assertThat(orders.seen()).containsExactly("afterCompletion held=true");
            assertThat(orders.held("order:2")).isEqualTo("false");
            assertThat(context.getBean(JdbcTemplate.class).queryForObject("select count(*) from orders where id='2'",
                    Integer.class)).isZero();
        });
    }

    @Test
    void inside_a_callers_transaction_the_release_waits_for_that_transaction() {
        runner.run(context -> {
            Orders orders = context.getBean(Orders.class);
            TransactionTemplate transaction = context.getBean(TransactionTemplate.class);
            List<String> seen = new CopyOnWriteArrayList<>();
            transaction.executeWithoutResult(status -> {
                orders.inner("3");
                seen.add("after the method, before commit: held=" + orders.held("inner:3"));
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCommit() {
                        seen.add("afterCommit held=" + orders.held("inner:3"));
                    }
                });
            });
            assertThat(seen).containsExactly("after the method, before commit: held=true", "afterCommit held=true");
            assertThat(orders.held("inner:3")).isEqualTo("false");
        });
    }

    @Test
    void without_a_transaction_the_lock_is_released_when_the_method_returns() {
        runner.run(context -> {
            Orders orders = context.getBean(Orders.class);
            orders.inner("4");
            assertThat(orders.held("inner:4")).isEqualTo("false");
            try (LockHandle ignored = replica.tryLock("inner:4").orElseThrow()) {
                assertThat(ignored.isHeld()).isTrue();
            }
        });
    }
}
