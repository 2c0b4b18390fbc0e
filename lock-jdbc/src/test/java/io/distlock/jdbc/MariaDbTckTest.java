package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against a private MariaDB 10.11 (the MySQL dialect): managers share one application pool, waiters
 * re-check every 100 ms; outages are SIGSTOP/SIGCONT of the server, lost locks are a DELETE of all lock rows.
 */
@DisplayName("TCK: jdbc:mariadb")
class MariaDbTckTest extends LockManagerTck {

    private static HikariDataSource pool;
    private static TckBackend backend;

    @BeforeAll
    static void start() {
        MariaDbServer server = MariaDbServer.shared();
        pool = JdbcTckBackend.pool(server.url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 40);
        backend = new JdbcTckBackend("jdbc (MariaDB 10.11)", JdbcTckBackend.managers(pool),
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
