package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.RecordStoreTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;

/**
 * The idempotency kit and the record store contract on each dialect: locks from {@link JdbcLockManager}, records
 * from {@link JdbcRecordStore}, both on the application's pool. Lost locks delete every lock and record row.
 */
final class JdbcIdempotencyTckTests {

    private JdbcIdempotencyTckTests() {
    }

    /** One dialect's fixture: the pool, the lock backend, and stores on the same pool. */
    abstract static class Kit {
        static HikariDataSource pool;
        static TckBackend backend;

        static void use(HikariDataSource dataSource, TckBackend tckBackend) {
            pool = dataSource;
            backend = tckBackend;
        }

        static RecordStore newStore() {
            return JdbcRecordStore.builder().dataSource(pool).createSchema(true).purgeInterval(Duration.ZERO)
                    .operationTimeout(Duration.ofSeconds(2)).build();
        }

        @AfterAll
        static void closePool() {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }

        @org.junit.jupiter.api.Test
        @DisplayName("the purge deletes expired records and released locks, at most the limit per run")
        void purgeIsBounded() throws Exception {
            JdbcCalls calls = new JdbcCalls(pool, Duration.ofSeconds(10), "test");
            JdbcDialect dialect = calls.call("dialect", JdbcDialect::of);
            try (RecordStore store = newStore()) {
                String prefix = "purge:" + java.util.UUID.randomUUID() + ":";
                for (int i = 0; i < 3; i++) {
                    store.putIfAbsent(prefix + i, new byte[] {1}, Duration.ofMillis(1));
                }
                store.putIfAbsent(prefix + "live", new byte[] {2}, Duration.ofMinutes(5));
                Thread.sleep(20);
                JdbcRecordStore.Store jdbcStore = (JdbcRecordStore.Store) store;
                org.assertj.core.api.Assertions.assertThat(jdbcStore.purgeExpired(2)).isEqualTo(2);
                org.assertj.core.api.Assertions.assertThat(jdbcStore.purgeExpired(1000)).isGreaterThanOrEqualTo(1);
                org.assertj.core.api.Assertions.assertThat(store.get(prefix + "live")).isPresent();
            }
            try (io.distlock.LockManager locks = backend.newManager(backend.settings())) {
                String key = "purge:" + java.util.UUID.randomUUID();
                long first;
                try (io.distlock.LockHandle handle = locks.tryLock(key).orElseThrow()) {
                    first = handle.fencingToken();
                }
                Thread.sleep(5);
                org.assertj.core.api.Assertions.assertThat(Housekeeping.purge(calls, dialect, dialect.purgeLocks(),
                        Duration.ZERO, 1000)).isPositive();
                try (io.distlock.LockHandle again = locks.tryLock(key).orElseThrow()) {
                    org.assertj.core.api.Assertions.assertThat(again.fencingToken())
                            .as("a token after the row was purged").isGreaterThan(first);
                }
            }
        }

        @Nested
        class Idempotency extends IdempotencyTck {
            @Override
            protected TckBackend backend() {
                return backend;
            }

            @Override
            protected RecordStore createStore() {
                return newStore();
            }
        }

        @Nested
        class Store extends RecordStoreTck {
            @Override
            protected TckBackend backend() {
                return backend;
            }

            @Override
            protected RecordStore createStore() {
                return newStore();
            }
        }
    }

    @DisplayName("idempotency and record store TCK: jdbc:postgresql")
    static final class PostgresIdempotencyTckTest extends Kit {
        @BeforeAll
        static void start() {
            PostgresServer server = PostgresServer.shared();
            HikariDataSource pool = JdbcTckBackend.pool(server.url(), "postgres", null, 30);
            use(pool, new JdbcTckBackend("jdbc (PostgreSQL 15)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.faultsOf(server, pool)));
        }
    }

    @DisplayName("idempotency and record store TCK: jdbc:mariadb")
    static final class MariaDbIdempotencyTckTest extends Kit {
        @BeforeAll
        static void start() {
            MariaDbServer server = MariaDbServer.shared();
            HikariDataSource pool = JdbcTckBackend.pool(server.url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 30);
            use(pool, new JdbcTckBackend("jdbc (MariaDB 10.11)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.faultsOf(server, pool)));
        }
    }

    @DisplayName("idempotency and record store TCK: jdbc:h2")
    static final class H2IdempotencyTckTest extends Kit {
        @BeforeAll
        static void start() {
            HikariDataSource pool = JdbcTckBackend.pool("jdbc:h2:mem:idempotency;DB_CLOSE_DELAY=-1", null, null, 30);
            use(pool, new JdbcTckBackend("jdbc (H2 in memory)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.embeddedFaults(pool)));
        }
    }
}
