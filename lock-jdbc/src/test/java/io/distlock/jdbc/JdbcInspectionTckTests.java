package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.tck.InspectionTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** The inspection TCK (clause 13) on each dialect, with the fixtures of the lock TCK. */
final class JdbcInspectionTckTests {

    private JdbcInspectionTckTests() {
    }

    abstract static class Kit extends InspectionTck {
        static HikariDataSource pool;
        static TckBackend backend;

        @AfterAll
        static void stop() {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }

        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @DisplayName("TCK inspection: jdbc:postgresql")
    static final class PostgresInspectionTckTest extends Kit {
        @BeforeAll
        static void start() {
            PostgresServer server = PostgresServer.shared();
            pool = JdbcTckBackend.pool(server.url(), "postgres", null, 20);
            backend = new JdbcTckBackend("jdbc (PostgreSQL 15)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.faultsOf(server, pool));
        }
    }

    @DisplayName("TCK inspection: jdbc:mariadb")
    static final class MariaDbInspectionTckTest extends Kit {
        @BeforeAll
        static void start() {
            MariaDbServer server = MariaDbServer.shared();
            pool = JdbcTckBackend.pool(server.url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 20);
            backend = new JdbcTckBackend("jdbc (MariaDB 10.11)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.faultsOf(server, pool));
        }
    }

    @DisplayName("TCK inspection: jdbc:h2")
    static final class H2InspectionTckTest extends Kit {
        @BeforeAll
        static void start() {
            pool = JdbcTckBackend.pool("jdbc:h2:mem:inspection-tck;DB_CLOSE_DELAY=-1", null, null, 20);
            backend = new JdbcTckBackend("jdbc (H2 in memory)", JdbcTckBackend.managers(pool),
                    JdbcTckBackend.embeddedFaults(pool));
        }
    }
}
