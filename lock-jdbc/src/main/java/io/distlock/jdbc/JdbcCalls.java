package io.distlock.jdbc;

import io.distlock.LockBackendException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One short autocommit call on a connection of its own, bounded by the operation timeout: the connection's network
 * timeout is set to what is left of it, so a paused or unreachable server ends the call instead of hanging it. A call
 * that failed because its connection was dead (killed by an administrator, a restarted server) is retried on another
 * connection while time is left: every statement distlock sends is safe to repeat (an acquisition repeated by the
 * same owner takes its own row again). Thread safe.
 */
final class JdbcCalls {

    /** Runs {@code setNetworkTimeout}'s abort work; drivers hardly use it, so one daemon thread is plenty. */
    private static final ExecutorService ABORTS = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "distlock-jdbc-abort");
        thread.setDaemon(true);
        return thread;
    });
    /**
     * Dead connections fail at once, and a pool whose sessions were all killed hands each of them out once before it
     * notices (HikariCP skips its liveness check for a connection used within the last 500 ms): three attempts were
     * seen to meet three dead connections of a 10-connection pool. So a call tries up to a pool's worth of
     * connections, always within its one deadline.
     */
    private static final int MAX_ATTEMPTS = 16;
    private static final long MIN_NETWORK_TIMEOUT_MS = 50;

    @FunctionalInterface
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final DataSource dataSource;
    private final long timeoutNanos;
    private final String description;

    JdbcCalls(DataSource dataSource, Duration timeout, String description) {
        this.dataSource = dataSource;
        this.timeoutNanos = timeout.toNanos();
        this.description = description;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    String description() {
        return description;
    }

    DataSource dataSource() {
        return dataSource;
    }

    /**
     * Runs {@code work} on a connection in autocommit mode.
     *
     * @throws LockBackendException naming {@code what} if the database failed or did not answer in time
     */
    <T> T call(String what, Work<T> work) {
        return call(what, System.nanoTime() + timeoutNanos, work);
    }

    /**
     * Runs {@code work} on a connection in autocommit mode, by {@code deadline} ({@link System#nanoTime()} scale)
     * instead of the operation timeout from now.
     *
     * @throws LockBackendException naming {@code what} if the database failed or did not answer in time
     */
    <T> T call(String what, long deadline, Work<T> work) {
        SQLException last = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try (Connection connection = dataSource.getConnection()) {
                return run(connection, deadline, work);
            } catch (SQLException e) {
                if (last != null) {
                    e.addSuppressed(last);
                }
                last = e;
                if (!retryable(e) || deadline - System.nanoTime() <= 0) {
                    break;
                }
            } catch (RuntimeException e) {
                throw new LockBackendException(what + " on " + description + " failed: " + e, e);
            }
        }
        throw new LockBackendException(what + " on " + description + " failed: " + describe(last), last);
    }

    private static <T> T run(Connection connection, long deadline, Work<T> work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        if (!autoCommit) {
            // A pool configured without autocommit: our statement must not join or leave an open transaction.
            connection.setAutoCommit(true);
        }
        int networkTimeout = -1;
        try {
            long remainingMs = Math.max(MIN_NETWORK_TIMEOUT_MS,
                    TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            networkTimeout = setNetworkTimeout(connection, remainingMs);
            return work.run(connection);
        } finally {
            if (networkTimeout >= 0 && !connection.isClosed()) {
                try {
                    connection.setNetworkTimeout(ABORTS, networkTimeout);
                } catch (SQLException ignored) {
                    // The connection is broken; the pool finds out on its own.
                }
            }
            if (!autoCommit && !connection.isClosed()) {
                connection.setAutoCommit(false);
            }
        }
    }

    /** Sets the network timeout, returning the previous one, or -1 if the driver has none (H2 embedded). */
    private static int setNetworkTimeout(Connection connection, long millis) throws SQLException {
        int previous;
        try {
            previous = connection.getNetworkTimeout();
        } catch (java.sql.SQLFeatureNotSupportedException | UnsupportedOperationException e) {
            return -1;
        }
        connection.setNetworkTimeout(ABORTS, (int) Math.min(Integer.MAX_VALUE, millis));
        return previous;
    }

    /** Applies the network timeout of one call to a connection the caller manages. */
    static void boundNetwork(Connection connection, long millis) throws SQLException {
        setNetworkTimeout(connection, millis);
    }

    static Executor aborts() {
        return ABORTS;
    }

    /**
     * A dead connection (SQLState class 08, PostgreSQL's 57P01-03 after an administrator killed the session or the
     * server shut down) or a deadlock/serialization failure is worth another connection; a pool that timed out is
     * not (it already waited), and neither is a timeout (no time is left).
     */
    static boolean retryable(SQLException e) {
        if (e instanceof SQLTransientConnectionException) {
            return false;
        }
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P0") || state.equals("40001")
                || state.equals("40P01"))) {
            return true;
        }
        return e instanceof SQLRecoverableException || e instanceof SQLNonTransientConnectionException;
    }

    static String describe(SQLException e) {
        if (e == null) {
            return "no attempt was made";
        }
        return e.getClass().getSimpleName() + (e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")")
                + ": " + e.getMessage();
    }
}
