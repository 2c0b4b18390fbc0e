package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.tck.AsyncLockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK once more through {@code tryLockAsync} on the private PostgreSQL: the JDBC backend has no native
 * asynchronous calls, so this is the default path (each attempt a blocking call on the shared pool), with the same
 * fixture and faults as {@link PostgresTckTest}. One dialect is enough: the asynchronous path does not depend on it.
 */
@DisplayName("TCK through tryLockAsync: jdbc:postgresql")
class PostgresAsyncTckTest extends AsyncLockManagerTck {

    private static HikariDataSource pool;
    private static TckBackend backend;

    @BeforeAll
    static void start() {
        PostgresServer server = PostgresServer.shared();
        pool = JdbcTckBackend.pool(server.url(), "postgres", null, 40);
        backend = new JdbcTckBackend("jdbc (PostgreSQL 15)", JdbcTckBackend.managers(pool),
                JdbcTckBackend.faultsOf(server, pool));
    }

    @AfterAll
    static void stop() {
        if (pool != null) {
            pool.close();
        }
    }

    @Override
    protected TckBackend fixture() {
        return backend;
    }
}
