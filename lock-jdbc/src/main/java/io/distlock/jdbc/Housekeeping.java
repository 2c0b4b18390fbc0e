package io.distlock.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Deletes long-expired rows in bounded batches on one daemon thread, so that tables keyed by request data (one row
 * per lock key or idempotency key ever used) do not grow without end. Each run deletes at most {@code limit} rows of
 * each table; a failed run is logged at debug level and retried at the next interval. Thread safe.
 */
final class Housekeeping implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
    /** The most rows one purge statement deletes. */
    static final int DEFAULT_LIMIT = 1000;

    private final ScheduledExecutorService timer;

    private Housekeeping(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    static Housekeeping none() {
        return new Housekeeping(null);
    }

    /**
     * Purges with {@code sql} (bound by {@link JdbcDialect#bindPurge}) every {@code interval}, rows expired more than
     * {@code grace} ago.
     */
    static Housekeeping every(Duration interval, JdbcCalls calls, JdbcDialect dialect, String sql, Duration grace,
                              String what) {
        if (interval.isZero()) {
            return none();
        }
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "distlock-jdbc-purge");
            thread.setDaemon(true);
            return thread;
        });
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        long ms = Math.max(1, interval.toMillis());
        timer.scheduleWithFixedDelay(() -> {
            try {
                int deleted = purge(calls, dialect, sql, grace, DEFAULT_LIMIT);
                log.debug("purged {} expired {} on {}", deleted, what, calls.description());
            } catch (RuntimeException e) {
                log.debug("purging expired {} on {} failed; retrying later", what, calls.description(), e);
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
        return new Housekeeping(timer);
    }

    /** One bounded purge; returns the number of rows deleted. */
    static int purge(JdbcCalls calls, JdbcDialect dialect, String sql, Duration grace, int limit) {
        return calls.call("purging expired rows", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                dialect.bindPurge(statement, JdbcLockBackend.micros(grace), limit);
                return statement.executeUpdate();
            }
        });
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
