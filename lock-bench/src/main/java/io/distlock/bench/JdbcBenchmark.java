package io.distlock.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.jdbc.JdbcLockManager;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockProvider;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.locks.Lock;

/**
 * The JDBC backend on a private PostgreSQL (loopback, durability off, started per trial) against what users would
 * otherwise run on the same database and the same kind of pool (HikariCP):
 * <ul>
 *   <li>{@code jdbclockregistry}: Spring Integration's {@link JdbcLockRegistry} on its {@code INT_LOCK} table
 *       ({@code tryLock()} / {@code unlock()});</li>
 *   <li>{@code upsert}: the floor of a lock row, {@code INSERT ... ON CONFLICT DO NOTHING} and an owner-checked
 *       {@code DELETE}, one autocommit statement each: no lease, no fencing, no waiting;</li>
 *   <li>{@code advisory}: {@code pg_try_advisory_lock} / {@code pg_advisory_unlock} on a connection kept for the
 *       thread (a session lock must be released on the connection that took it): the cheapest PostgreSQL lock, with
 *       no lease at all (it lives as long as the session).</li>
 * </ul>
 *   <li>{@code shedlock}: ShedLock's {@code JdbcTemplateLockProvider} (7.7) with {@code usingDbTime()} (leases on the
 *       database clock, as distlock's) on its {@code shedlock} table, {@code lock(...)} / {@code unlock()}; after the
 *       first use of a name it updates the existing row (one {@code UPDATE} to lock, one to unlock).</li>
 * "Elsewhere" is a second manager / registry / session (another process, in production).
 */
@State(Scope.Benchmark)
public class JdbcBenchmark {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    private static final String HELD_HERE = "bench:held-here";
    private static final long ADVISORY_HELD = 42L;

    private PostgresProcess server;
    private HikariDataSource pool;
    private LockManager locks;
    private LockManager otherLocks;
    private JdbcLockRegistry registry;
    private JdbcLockRegistry otherRegistry;
    private Lock registryHeldElsewhere;
    private Connection advisoryHolder;
    private LockProvider shedlock;
    private LockProvider otherShedlock;
    private SimpleLock shedlockHeldElsewhere;

    @Setup(Level.Trial)
    public void start() {
        server = PostgresProcess.start();
        try {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(server.url());
            config.setUsername("postgres");
            // Room for 16 benchmark threads that each keep a session (advisory locks) plus the fixtures.
            config.setMaximumPoolSize(40);
            pool = new HikariDataSource(config);
            LockSettings settings = LockSettings.defaults().withLease(LEASE);
            locks = JdbcLockManager.builder().dataSource(pool).createSchema(true).settings(settings).build();
            otherLocks = JdbcLockManager.builder().dataSource(pool).settings(settings).build();
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute(intLockDdl());
                s.execute("CREATE TABLE IF NOT EXISTS bench_floor (lock_key TEXT PRIMARY KEY, owner TEXT NOT NULL)");
                s.execute("INSERT INTO bench_floor VALUES ('" + HELD_ELSEWHERE + "', 'other') ON CONFLICT DO NOTHING");
                // ShedLock's documented PostgreSQL table.
                s.execute("CREATE TABLE IF NOT EXISTS shedlock (name VARCHAR(64) NOT NULL, lock_until TIMESTAMP NOT "
                        + "NULL, locked_at TIMESTAMP NOT NULL, locked_by VARCHAR(255) NOT NULL, PRIMARY KEY (name))");
            }
            shedlock = shedlock();
            otherShedlock = shedlock();
            shedlockHeldElsewhere = otherShedlock.lock(shedlockConfiguration(HELD_ELSEWHERE)).orElseThrow();
            registry = registry("bench-a");
            otherRegistry = registry("bench-b");
            otherLocks.tryLock(HELD_ELSEWHERE).orElseThrow();
            locks.tryLock(HELD_HERE).orElseThrow();
            registryHeldElsewhere = otherRegistry.obtain(HELD_ELSEWHERE);
            RedisBenchmark.require(registryHeldElsewhere.tryLock());
            advisoryHolder = pool.getConnection();
            RedisBenchmark.require(advisory(advisoryHolder, "SELECT pg_try_advisory_lock(?)", ADVISORY_HELD));
        } catch (RuntimeException | SQLException e) {
            stop();
            throw new IllegalStateException("could not set up the JDBC benchmark", e);
        }
    }

    private LockProvider shedlock() {
        return new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder()
                .withJdbcTemplate(new JdbcTemplate(pool)).usingDbTime().build());
    }

    /** A lease as long as distlock's, nothing "at least" (unlock frees the name at once). */
    private static LockConfiguration shedlockConfiguration(String name) {
        return new LockConfiguration(Instant.now(), name, LEASE, Duration.ZERO);
    }

    private JdbcLockRegistry registry(String clientId) {
        DefaultLockRepository repository = new DefaultLockRepository(pool, clientId);
        repository.setTransactionManager(new DataSourceTransactionManager(pool));
        repository.afterPropertiesSet();
        repository.afterSingletonsInstantiated();
        return new JdbcLockRegistry(repository);
    }

    /** Spring Integration's own DDL for PostgreSQL, from its jar. */
    private static String intLockDdl() {
        try (InputStream in = DefaultLockRepository.class.getResourceAsStream(
                "/org/springframework/integration/jdbc/schema-postgresql.sql")) {
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int start = all.indexOf("CREATE TABLE INT_LOCK");
            int end = all.indexOf(';', start);
            return all.substring(start, end).replace("CREATE TABLE INT_LOCK", "CREATE TABLE IF NOT EXISTS INT_LOCK");
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalStateException("no INT_LOCK DDL in spring-integration-jdbc", e);
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        if (registryHeldElsewhere != null) {
            try {
                registryHeldElsewhere.unlock();
            } catch (RuntimeException ignored) {
                // The server goes next.
            }
        }
        if (shedlockHeldElsewhere != null) {
            try {
                shedlockHeldElsewhere.unlock();
            } catch (RuntimeException ignored) {
                // The server goes next.
            }
        }
        for (AutoCloseable closeable : new AutoCloseable[] {locks, otherLocks, advisoryHolder, pool}) {
            RedisBenchmark.closeQuietly(closeable);
        }
        RedisBenchmark.closeQuietly(server);
    }

    /** A pooled connection kept by the thread for session-scoped advisory locks. */
    @State(Scope.Thread)
    public static class Session {
        Connection connection;
        final long key = System.nanoTime();

        @Setup(Level.Trial)
        public void open(JdbcBenchmark bench) throws SQLException {
            connection = bench.pool.getConnection();
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            connection.close();
        }
    }

    private static boolean advisory(Connection connection, String sql, long key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setLong(1, key);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    // ---- acquire + release of a free key ----

    @Benchmark
    public long acquireRelease_distlock(ThreadKeys keys) {
        try (LockHandle handle = locks.tryLock(keys.key).orElseThrow()) {
            return handle.fencingToken();
        }
    }

    @Benchmark
    public boolean acquireRelease_jdbclockregistry(ThreadKeys keys) {
        Lock lock = registry.obtain(keys.key);
        RedisBenchmark.require(lock.tryLock());
        lock.unlock();
        return true;
    }

    @Benchmark
    public boolean acquireRelease_shedlock(ThreadKeys keys) {
        SimpleLock lock = shedlock.lock(shedlockConfiguration(keys.key)).orElseThrow();
        lock.unlock();
        return true;
    }

    @Benchmark
    public int acquireRelease_upsert(ThreadKeys keys) throws SQLException {
        int deleted;
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO bench_floor (lock_key, owner) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
                insert.setString(1, keys.key);
                insert.setString(2, keys.owner);
                RedisBenchmark.require(insert.executeUpdate() == 1);
            }
        }
        try (Connection c = pool.getConnection(); PreparedStatement delete = c.prepareStatement(
                "DELETE FROM bench_floor WHERE lock_key = ? AND owner = ?")) {
            delete.setString(1, keys.key);
            delete.setString(2, keys.owner);
            deleted = delete.executeUpdate();
        }
        RedisBenchmark.require(deleted == 1);
        return deleted;
    }

    @Benchmark
    public boolean acquireRelease_advisory(Session session) throws SQLException {
        RedisBenchmark.require(advisory(session.connection, "SELECT pg_try_advisory_lock(?)", session.key));
        return advisory(session.connection, "SELECT pg_advisory_unlock(?)", session.key);
    }

    // ---- fail-fast on a key another manager / registry / session holds ----

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlock() {
        Optional<LockHandle> handle = locks.tryLock(HELD_ELSEWHERE);
        RedisBenchmark.require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastElsewhere_jdbclockregistry() {
        boolean acquired = registry.obtain(HELD_ELSEWHERE).tryLock();
        RedisBenchmark.require(!acquired);
        return acquired;
    }

    @Benchmark
    public boolean failFastElsewhere_shedlock() {
        Optional<SimpleLock> lock = shedlock.lock(shedlockConfiguration(HELD_ELSEWHERE));
        RedisBenchmark.require(lock.isEmpty());
        return lock.isPresent();
    }

    @Benchmark
    public int failFastElsewhere_upsert(ThreadKeys keys) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement insert = c.prepareStatement(
                "INSERT INTO bench_floor (lock_key, owner) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            insert.setString(1, HELD_ELSEWHERE);
            insert.setString(2, keys.owner);
            int inserted = insert.executeUpdate();
            RedisBenchmark.require(inserted == 0);
            return inserted;
        }
    }

    @Benchmark
    public boolean failFastElsewhere_advisory(Session session) throws SQLException {
        boolean acquired = advisory(session.connection, "SELECT pg_try_advisory_lock(?)", ADVISORY_HELD);
        RedisBenchmark.require(!acquired);
        return acquired;
    }

    // ---- fail-fast on a key this manager holds: no round trip ----

    @Benchmark
    public Optional<LockHandle> failFastSameManager_distlock() {
        Optional<LockHandle> handle = locks.tryLock(HELD_HERE);
        RedisBenchmark.require(handle.isEmpty());
        return handle;
    }
}
