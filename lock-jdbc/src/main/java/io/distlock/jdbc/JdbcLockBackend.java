package io.distlock.jdbc;

import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The lock operations as single autocommit statements on the {@code distlock_locks} table: one row per key, the key's
 * UTF-8 bytes as primary key, the owner of the current acquisition, a fencing token that only increases, and the
 * lease end on the database clock. Acquire, a failed attempt, renew and release are one statement (one round trip)
 * each. Waiters are woken by {@code LISTEN/NOTIFY} on PostgreSQL and by {@link ReleasePoller} elsewhere.
 */
final class JdbcLockBackend implements LockBackend {

    private static final Logger log = LoggerFactory.getLogger(JdbcLockBackend.class);

    private final JdbcCalls calls;
    private final JdbcDialect dialect;
    private final String acquireSql;
    private final String releaseSql;
    private final String renewSql;
    private final ReleaseNotifications notifications;
    private final AutoCloseable owned;
    private final Housekeeping housekeeping;

    JdbcLockBackend(JdbcCalls calls, JdbcDialect dialect, ReleaseNotifications notifications, AutoCloseable owned,
                    Housekeeping housekeeping) {
        this.calls = calls;
        this.dialect = dialect;
        this.acquireSql = dialect.acquire();
        this.releaseSql = dialect.release();
        this.renewSql = dialect.renew();
        this.notifications = notifications;
        this.owned = owned;
        this.housekeeping = housekeeping;
    }

    @Override
    public String name() {
        return "jdbc";
    }

    static byte[] keyBytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    static long micros(Duration d) {
        try {
            return Math.multiplyExact(d.getSeconds(), 1_000_000L) + d.getNano() / 1000;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        byte[] k = keyBytes(key);
        long leaseUs = micros(lease);
        return calls.call("acquiring lock '" + key + "'", connection -> {
            if (dialect == JdbcDialect.MYSQL) {
                try (PreparedStatement statement = connection.prepareStatement(acquireSql,
                        Statement.RETURN_GENERATED_KEYS)) {
                    statement.setBytes(1, k);
                    statement.setString(2, owner);
                    statement.setLong(3, leaseUs);
                    statement.executeUpdate();
                    try (ResultSet keys = statement.getGeneratedKeys()) {
                        long token = keys.next() ? keys.getLong(1) : 0;
                        return token > 0 ? AcquireResult.acquired(token) : AcquireResult.held();
                    }
                }
            }
            try (PreparedStatement statement = connection.prepareStatement(acquireSql)) {
                statement.setBytes(1, k);
                statement.setString(2, owner);
                statement.setLong(3, leaseUs);
                if (dialect == JdbcDialect.POSTGRESQL) {
                    statement.setBytes(4, k);
                    statement.setString(5, owner);
                }
                try (ResultSet rs = statement.executeQuery()) {
                    return rs.next() ? AcquireResult.acquired(rs.getLong(1)) : AcquireResult.held();
                }
            } catch (SQLException e) {
                if (dialect == JdbcDialect.H2 && dialect.isDuplicateKey(e)) {
                    // Two first acquisitions of a new key raced and the other inserted the row: it holds the key.
                    return AcquireResult.held();
                }
                throw e;
            }
        });
    }

    @Override
    public boolean release(String key, String owner) {
        byte[] k = keyBytes(key);
        // Interrupts do not affect JDBC calls, so a release completes even on an interrupted thread.
        return calls.call("releasing lock '" + key + "'", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(releaseSql)) {
                statement.setBytes(1, k);
                statement.setString(2, owner);
                if (dialect == JdbcDialect.POSTGRESQL) {
                    statement.setString(3, ReleaseNotifications.CHANNEL);
                    try (ResultSet rs = statement.executeQuery()) {
                        return rs.next();
                    }
                }
                boolean released = statement.executeUpdate() > 0;
                if (released) {
                    notifications.releasedLocally(k);
                }
                return released;
            }
        });
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        byte[] k = keyBytes(key);
        long leaseUs = micros(lease);
        return calls.call("renewing lock '" + key + "'", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(renewSql)) {
                statement.setLong(1, leaseUs);
                statement.setBytes(2, k);
                statement.setString(3, owner);
                return statement.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return notifications.subscribe(keyBytes(key), onRelease);
    }

    @Override
    public void close() {
        housekeeping.close();
        notifications.close();
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception e) {
                log.warn("closing the connection pool of {} failed", calls.description(), e);
            }
        }
    }
}
