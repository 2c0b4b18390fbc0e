package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cost model the backend documents, counted at the driver: pgjdbc logs every protocol message it sends at
 * FINEST, and each round trip ends with a {@code Sync} (extended protocol) or is one {@code SimpleQuery}. Acquire,
 * a failed attempt and release are one round trip each, with no statements for autocommit or timeouts around them;
 * and a release sends {@code pg_notify} only while a waiter has marked the key.
 */
class PostgresRoundTripTest {

    private static HikariDataSource pool;
    private static LockManager locks;
    private static LockManager other;

    @BeforeAll
    static void start() {
        PostgresServer server = PostgresServer.shared();
        pool = JdbcTckBackend.pool(server.url(), "postgres", null, 4);
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(30));
        locks = JdbcLockManager.builder().dataSource(pool).createSchema(true).settings(settings).build();
        other = JdbcLockManager.builder().dataSource(pool).settings(settings).build();
    }

    @AfterAll
    static void stop() {
        locks.close();
        other.close();
        pool.close();
    }

    @Test
    void acquire_failed_attempt_and_release_are_one_round_trip_each() {
        String key = "round-trips:" + System.nanoTime();
        LockHandle elsewhere = other.tryLock(key + ":held").orElseThrow();
        // Warm: the driver switches to a named server-side statement after a few executions.
        for (int i = 0; i < 10; i++) {
            locks.tryLock(key).orElseThrow().close();
            assertThat(locks.tryLock(key + ":held")).isEmpty();
        }
        try (Counter counter = new Counter()) {
            LockHandle handle = locks.tryLock(key).orElseThrow();
            assertThat(counter.roundTrips()).as("acquire: %s", counter.sent).isEqualTo(1);
            handle.close();
            assertThat(counter.roundTrips()).as("release: %s", counter.sent).isEqualTo(1);
            assertThat(locks.tryLock(key + ":held")).isEmpty();
            assertThat(counter.roundTrips()).as("failed attempt: %s", counter.sent).isEqualTo(1);
        }
        elsewhere.close();
    }

    @Test
    void a_release_notifies_only_while_someone_waits_for_the_key() throws Exception {
        String key = "notify:" + System.nanoTime();
        try (Connection listener = JdbcTckBackend.rawConnection(pool); Statement statement = listener.createStatement()) {
            statement.execute("LISTEN " + ReleaseNotifications.CHANNEL);
            locks.tryLock(key).orElseThrow().close();
            // Notifications arrive in commit order: the marker after the release shows whether the release sent one.
            statement.execute("NOTIFY " + ReleaseNotifications.CHANNEL + ", 'marker-1'");
            assertThat(payloads(listener, "marker-1")).as("no waiter, no notification").containsExactly("marker-1");

            LockHandle held = locks.tryLock(key).orElseThrow();
            CompletableFuture<Optional<LockHandle>> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return other.tryLock(key, Duration.ofSeconds(20));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            // The waiter marks the row before its second attempt.
            await().atMost(Duration.ofSeconds(10)).until(() -> marked(key));
            held.close();
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isPresent().get().satisfies(LockHandle::close);
            statement.execute("NOTIFY " + ReleaseNotifications.CHANNEL + ", 'marker-2'");
            assertThat(payloads(listener, "marker-2")).as("a waiter: the release notified")
                    .contains(ReleaseNotifications.hash(JdbcLockBackend.keyBytes(key)));
        }
    }

    private static boolean marked(String key) throws SQLException {
        try (Connection c = pool.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT waiters_until_us > 0 FROM distlock_locks WHERE lock_key = ?")) {
            s.setBytes(1, JdbcLockBackend.keyBytes(key));
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** The payloads that reach {@code connection} up to and including {@code last}. */
    private static List<String> payloads(Connection connection, String last) throws SQLException {
        List<String> payloads = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!payloads.contains(last) && System.nanoTime() < deadline) {
            payloads.addAll(List.of(PgNotifications.receive(connection, 500)));
        }
        return payloads;
    }

    /** Counts the round trips the calling thread's driver calls make, from pgjdbc's protocol log. */
    private static final class Counter extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger("org.postgresql");
        private final Level level = logger.getLevel();
        private final Thread thread = Thread.currentThread();
        final List<String> sent = new ArrayList<>();

        Counter() {
            setLevel(Level.FINEST);
            logger.setLevel(Level.FINEST);
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            String message = record.getMessage();
            if (Thread.currentThread() == thread && message != null && message.contains("FE=>")) {
                sent.add(message.trim());
            }
        }

        /** The round trips since the last call. */
        synchronized int roundTrips() {
            int trips = (int) sent.stream().filter(m -> m.startsWith("FE=> Sync") || m.startsWith("FE=> SimpleQuery"))
                    .count();
            sent.clear();
            return trips;
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
            logger.setLevel(level);
        }
    }
}
