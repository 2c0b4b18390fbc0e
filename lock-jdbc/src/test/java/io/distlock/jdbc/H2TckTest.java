package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/**
 * The whole TCK against an in-memory H2 database shared by all managers of the JVM (waiters re-check every 100 ms).
 * An embedded database has no outage to inject, so the outage clauses are reported as skipped here (they run
 * against the PostgreSQL and MariaDB servers); lost and deleted locks are DELETEs of lock rows.
 */
@DisplayName("TCK: jdbc:h2 (in memory)")
class H2TckTest extends LockManagerTck {

    private static HikariDataSource pool;
    private static TckBackend backend;

    @BeforeAll
    static void start() {
        pool = JdbcTckBackend.pool("jdbc:h2:mem:tck;DB_CLOSE_DELAY=-1", null, null, 40);
        backend = new JdbcTckBackend("jdbc (H2 in memory)", JdbcTckBackend.managers(pool),
                JdbcTckBackend.embeddedFaults(pool));
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
