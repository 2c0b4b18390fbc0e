package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Transactional idempotency on each dialect: the business write and the record commit or roll back together, so a
 * connection killed between the write and the commit leaves neither, and the retry writes exactly once; a
 * concurrent duplicate gets "in progress" without waiting for the first commit.
 */
final class TransactionalIdempotencyTests {

    private TransactionalIdempotencyTests() {
    }

    private static final ResultCodec<String> TEXT = ResultCodec.of(s -> s.getBytes(StandardCharsets.UTF_8),
            b -> new String(b, StandardCharsets.UTF_8));

    abstract static class Kit {
        static HikariDataSource pool;
        static JdbcDialect dialect;
        final TransactionalIdempotency idempotency = TransactionalIdempotency.builder()
                .lockWait(Duration.ofSeconds(1)).build();
        final AtomicInteger runs = new AtomicInteger();

        static void use(HikariDataSource dataSource, JdbcDialect d) {
            pool = dataSource;
            dialect = d;
            JdbcSchema.createIfMissing(new JdbcCalls(dataSource, Duration.ofSeconds(30), "test"), d);
            try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS test_orders (request_key VARCHAR(100) NOT NULL, "
                        + "amount INT NOT NULL)");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @AfterAll
        static void closePool() {
            if (pool != null) {
                pool.close();
                pool = null;
            }
        }

        /** Ends {@code victim}'s session from outside, as a crash of the process or the network would. */
        abstract void kill(Connection victim) throws SQLException;

        String order(Connection tx, String key, int amount) throws SQLException {
            runs.incrementAndGet();
            try (PreparedStatement insert = tx.prepareStatement(
                    "INSERT INTO test_orders (request_key, amount) VALUES (?, ?)")) {
                insert.setString(1, key);
                insert.setInt(2, amount);
                insert.executeUpdate();
            }
            return "order of " + amount;
        }

        static int orders(String key) throws SQLException {
            try (Connection c = pool.getConnection(); PreparedStatement count = c.prepareStatement(
                    "SELECT COUNT(*) FROM test_orders WHERE request_key = ?")) {
                count.setString(1, key);
                try (ResultSet rs = count.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }

        String inTransaction(String key, String fingerprint, int amount) throws SQLException {
            try (Connection tx = pool.getConnection()) {
                tx.setAutoCommit(false);
                try {
                    String result = idempotency.execute(tx, key, fingerprint, Duration.ofMinutes(5), TEXT,
                            c -> order(c, key, amount));
                    tx.commit();
                    return result;
                } catch (RuntimeException | SQLException e) {
                    tx.rollback();
                    throw e;
                } finally {
                    tx.setAutoCommit(true);
                }
            }
        }

        static String key(String hint) {
            return "tx:" + hint + ":" + UUID.randomUUID();
        }

        @Test
        @DisplayName("the first request writes once; a later duplicate replays the result without writing")
        void runsOnceAndReplays() throws Exception {
            String key = key("once");
            assertThat(inTransaction(key, "body", 7)).isEqualTo("order of 7");
            assertThat(inTransaction(key, "body", 7)).isEqualTo("order of 7");
            assertThat(runs).hasValue(1);
            assertThat(orders(key)).isEqualTo(1);
        }

        @Test
        @DisplayName("the same key with another fingerprint is refused")
        void keyReuse() throws Exception {
            String key = key("reuse");
            inTransaction(key, "body", 1);
            assertThatThrownBy(() -> inTransaction(key, "another body", 1)).isInstanceOf(KeyReusedException.class);
            assertThat(orders(key)).isEqualTo(1);
        }

        @Test
        @DisplayName("a rolled-back transaction leaves neither the write nor the record, so the retry runs")
        void rollbackLeavesNothing() throws Exception {
            String key = key("rollback");
            try (Connection tx = pool.getConnection()) {
                tx.setAutoCommit(false);
                idempotency.execute(tx, key, "body", Duration.ofMinutes(5), TEXT, c -> order(c, key, 3));
                tx.rollback();
                tx.setAutoCommit(true);
            }
            assertThat(orders(key)).isZero();
            inTransaction(key, "body", 3);
            assertThat(runs).hasValue(2);
            assertThat(orders(key)).isEqualTo(1);
        }

        @Test
        @DisplayName("a connection killed between the write and the commit leaves nothing; the retry writes exactly once")
        void killedBetweenWriteAndCommit() throws Exception {
            String key = key("killed");
            try (Connection victim = JdbcTckBackend.rawConnection(pool)) {
                victim.setAutoCommit(false);
                idempotency.execute(victim, key, "body", Duration.ofMinutes(5), TEXT, c -> order(c, key, 5));
                kill(victim);
                assertThatThrownBy(victim::commit).isInstanceOf(SQLException.class);
            }
            assertThat(orders(key)).as("the business write of the killed transaction").isZero();
            assertThat(inTransaction(key, "body", 5)).isEqualTo("order of 5");
            assertThat(inTransaction(key, "body", 5)).isEqualTo("order of 5");
            assertThat(runs).hasValue(2);
            assertThat(orders(key)).isEqualTo(1);
        }

        @Test
        @DisplayName("a concurrent duplicate gets RequestInProgressException without waiting for the first commit")
        void concurrentDuplicateIsInProgress() throws Exception {
            String key = key("concurrent");
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch commit = new CountDownLatch(1);
            CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> {
                try (Connection tx = pool.getConnection()) {
                    tx.setAutoCommit(false);
                    String result = idempotency.execute(tx, key, "body", Duration.ofMinutes(5), TEXT, c -> {
                        String r = order(c, key, 9);
                        written.countDown();
                        assertThat(commit.await(60, TimeUnit.SECONDS)).isTrue();
                        return r;
                    });
                    tx.commit();
                    tx.setAutoCommit(true);
                    return result;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            try {
                assertThat(written.await(30, TimeUnit.SECONDS)).isTrue();
                long start = System.nanoTime();
                assertThatThrownBy(() -> inTransaction(key, "body", 9))
                        .isInstanceOf(RequestInProgressException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("how long the duplicate waited")
                        .isLessThan(Duration.ofSeconds(10));
            } finally {
                commit.countDown();
            }
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("order of 9");
            assertThat(inTransaction(key, "body", 9)).isEqualTo("order of 9");
            assertThat(runs).hasValue(1);
            assertThat(orders(key)).isEqualTo(1);
        }

        @Test
        @DisplayName("a connection in autocommit mode is refused before anything runs")
        void autocommitRefused() throws Exception {
            try (Connection c = pool.getConnection()) {
                assertThatThrownBy(() -> idempotency.execute(c, key("auto"), "body", Duration.ofMinutes(1), TEXT,
                        tx -> order(tx, "x", 1))).isInstanceOf(IllegalStateException.class);
            }
            assertThat(runs).hasValue(0);
        }
    }

    @DisplayName("transactional idempotency: jdbc:postgresql")
    static final class PostgresTransactionalTest extends Kit {
        @BeforeAll
        static void start() {
            PostgresServer server = PostgresServer.shared();
            use(JdbcTckBackend.pool(server.url(), "postgres", null, 10), JdbcDialect.POSTGRESQL);
        }

        @Override
        void kill(Connection victim) throws SQLException {
            long pid;
            try (Statement s = victim.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                pid = rs.getLong(1);
            }
            try (Connection admin = PostgresServer.shared().admin();
                 PreparedStatement kill = admin.prepareStatement("SELECT pg_terminate_backend(?)")) {
                kill.setInt(1, (int) pid);
                kill.executeQuery().close();
            }
        }
    }

    @DisplayName("transactional idempotency: jdbc:mariadb")
    static final class MariaDbTransactionalTest extends Kit {
        @BeforeAll
        static void start() {
            MariaDbServer server = MariaDbServer.shared();
            use(JdbcTckBackend.pool(server.url(), MariaDbServer.USER, MariaDbServer.PASSWORD, 10), JdbcDialect.MYSQL);
        }

        @Override
        void kill(Connection victim) throws SQLException {
            long id;
            try (Statement s = victim.createStatement(); ResultSet rs = s.executeQuery("SELECT CONNECTION_ID()")) {
                rs.next();
                id = rs.getLong(1);
            }
            try (Connection admin = MariaDbServer.shared().admin(); Statement kill = admin.createStatement()) {
                kill.execute("KILL " + id);
            }
        }
    }

    @DisplayName("transactional idempotency: jdbc:h2")
    static final class H2TransactionalTest extends Kit {
        @BeforeAll
        static void start() {
            use(JdbcTckBackend.pool("jdbc:h2:mem:transactional;DB_CLOSE_DELAY=-1", null, null, 10), JdbcDialect.H2);
        }

        /** Embedded: the session ends with its connection, as with a process that dies before committing. */
        @Override
        void kill(Connection victim) throws SQLException {
            victim.unwrap(Connection.class).close();
        }
    }
}
