package io.distlock.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.TckBackend;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;

/**
 * The TCK fixture for one database: managers ("replicas") on a shared caller-owned pool, each with its own release
 * notifications and renewal thread, as separate processes on one database would have.
 */
final class JdbcTckBackend implements TckBackend {

    private final String name;
    private final Function<LockSettings, LockManager> factory;
    private final Faults faults;

    JdbcTckBackend(String name, Function<LockSettings, LockManager> factory, Faults faults) {
        this.name = name;
        this.factory = factory;
        this.faults = faults;
    }

    /** A pool as an application would configure it, with a connection timeout below the TCK's 2 s timeout. */
    static HikariDataSource pool(String url, String user, String password, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        if (user != null) {
            config.setUsername(user);
        }
        if (password != null) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(2);
        config.setConnectionTimeout(1000);
        config.setValidationTimeout(250);
        config.setInitializationFailTimeout(-1);
        HikariDataSource pool = new HikariDataSource(config);
        // The kit's timing starts with its first call: make the pool's first connections on a loaded machine now.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (Connection ignored = pool.getConnection()) {
                return pool;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    pool.close();
                    throw new IllegalStateException("no connection to " + url + " within 60 s", e);
                }
            }
        }
    }

    /** A connection of the pool's database outside the pool, for tests that kill it. */
    static Connection rawConnection(HikariDataSource pool) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        if (pool.getUsername() != null) {
            properties.setProperty("user", pool.getUsername());
        }
        if (pool.getPassword() != null) {
            properties.setProperty("password", pool.getPassword());
        }
        return java.sql.DriverManager.getConnection(pool.getJdbcUrl(), properties);
    }

    /** Managers on {@code dataSource}, creating the schema on first use, without the periodic purge. */
    static Function<LockSettings, LockManager> managers(DataSource dataSource) {
        return settings -> JdbcLockManager.builder().dataSource(dataSource).createSchema(true)
                .purgeInterval(Duration.ZERO).settings(settings).build();
    }

    /** Faults of a server process: SIGSTOP/SIGCONT for an outage, deleting every lock row for lost locks. */
    static Faults faultsOf(DatabaseProcess server, DataSource admin) {
        return new Faults() {
            @Override
            public void startOutage() {
                server.pause();
            }

            @Override
            public void endOutage() {
                server.resume();
            }

            @Override
            public void loseAllLocks() {
                deleteAll(admin, "distlock_locks", "distlock_records");
            }

            @Override
            public void deleteLock(String key) {
                JdbcTckBackend.deleteLock(admin, key);
            }
        };
    }

    /**
     * Faults of an embedded database: no outage can be injected (those tests are reported as skipped), but rows can
     * be deleted behind their holders.
     */
    static Faults embeddedFaults(DataSource admin) {
        return new Faults() {
            @Override
            public void startOutage() {
                org.junit.jupiter.api.Assumptions.abort("an embedded H2 has no outage to inject");
            }

            @Override
            public void endOutage() {
            }

            @Override
            public void loseAllLocks() {
                deleteAll(admin, "distlock_locks", "distlock_records");
            }

            @Override
            public void deleteLock(String key) {
                JdbcTckBackend.deleteLock(admin, key);
            }
        };
    }

    /** An operator's DELETE of one lock row (the TCK's managers use no key prefix). */
    static void deleteLock(DataSource dataSource, String key) {
        try (Connection connection = dataSource.getConnection(); java.sql.PreparedStatement statement =
                connection.prepareStatement("DELETE FROM distlock_locks WHERE lock_key = ?")) {
            statement.setBytes(1, JdbcLockBackend.keyBytes(key));
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteAll(DataSource dataSource, String... tables) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            for (String table : tables) {
                statement.executeUpdate("DELETE FROM " + table);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        return factory.apply(settings);
    }

    @Override
    public Optional<Faults> faults() {
        return Optional.ofNullable(faults);
    }
}
