package io.distlock.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cost model the backend documents, counted at the driver: pgjdbc logs every protocol message it sends at
 * FINEST, and each round trip ends with a {@code Sync} (extended protocol) or is one {@code SimpleQuery}. Acquire,
 * a failed attempt and release are one round trip each, with no statements for autocommit or timeouts around them.
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
