package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against a private PostgreSQL 15: managers share one application pool, waiters are woken by
 * LISTEN/NOTIFY; outages are SIGSTOP/SIGCONT of the server and all its backends, lost locks are a DELETE of all
 * lock rows.
 */
@DisplayName("TCK: jdbc:postgresql")
class PostgresTckTest extends LockManagerTck {

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
    protected TckBackend backend() {
        return backend;
    }
}
