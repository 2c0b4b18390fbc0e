package io.distlock.jdbc;

import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The lock operations as single autocommit statements on the {@code distlock_locks} table: one row per key, the key's
 * UTF-8 bytes as primary key, the owner of the current acquisition, a fencing token that only increases, and the
 * lease end on the database clock. Acquire, a failed attempt, renew and release are one statement (one round trip)
 * each. Waiters are woken by {@code LISTEN/NOTIFY} on PostgreSQL and by a batched re-check elsewhere.
 *
 * <p>Inspection reads the same rows: one statement for a key's holder, and pages of live locks in primary-key order
 * with a byte range {@code [prefix, prefix + 1)} on the key, so a page is an index range scan that resumes after
 * the last key of the page before (the cursor is that key in hex). Lease remaining is computed by the database's
 * clock. A force-release is the owner-checked {@link #release}, which works for any owner and notifies waiters.
 */
final class JdbcLockBackend implements LockBackend, LockInspection {

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
    public StoredLock read(String key, long deadlineNanos) {
        byte[] k = keyBytes(key);
        return calls.call("reading lock '" + key + "'", deadlineNanos, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(dialect.inspectOne())) {
                statement.setBytes(1, k);
                try (ResultSet rs = statement.executeQuery()) {
                    return rs.next() ? stored(key, rs.getString(1), rs.getLong(2), rs.getLong(3)) : null;
                }
            }
        });
    }

    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1 to 1000, got " + limit);
        }
        byte[] prefix = keyBytes(keyPrefix);
        byte[] after = cursor == null ? null : parseCursor(cursor);
        byte[] upper = prefix.length == 0 ? null : upperBound(prefix);
        byte[] lower = after != null ? after : prefix.length == 0 ? null : prefix;
        String sql = dialect.inspectPage(lower != null, after != null, upper != null);
        return calls.call("listing locks under '" + keyPrefix + "'", deadlineNanos, connection -> {
            List<StoredLock> locks = new ArrayList<>();
            byte[] last = null;
            boolean more = false;
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                int i = 1;
                if (lower != null) {
                    statement.setBytes(i++, lower);
                }
                if (upper != null) {
                    statement.setBytes(i++, upper);
                }
                // One row more than asked tells whether another page follows.
                statement.setInt(i, limit + 1);
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        if (locks.size() == limit) {
                            more = true;
                            break;
                        }
                        last = rs.getBytes(1);
                        locks.add(stored(new String(last, StandardCharsets.UTF_8), rs.getString(2), rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
            }
            return new Page(locks, more ? HexFormat.of().formatHex(last) : null);
        });
    }

    private static StoredLock stored(String key, String owner, long token, long remainingUs) {
        long remainingNanos = remainingUs >= Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : Math.max(0, remainingUs) * 1000;
        return new StoredLock(key, owner, Math.max(0, token), remainingNanos);
    }

    private static byte[] parseCursor(String cursor) {
        try {
            byte[] key = HexFormat.of().parseHex(cursor);
            if (key.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return key;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + cursor + "' is not a cursor of the jdbc backend's list", e);
        }
    }

    /**
     * The smallest byte string greater than every string starting with {@code prefix}: the prefix with its last byte
     * below 0xFF incremented and what follows dropped; null if there is none (the prefix is all 0xFF bytes, which
     * UTF-8 never produces).
     */
    static byte[] upperBound(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] bound = Arrays.copyOf(prefix, i + 1);
                bound[i]++;
                return bound;
            }
        }
        return null;
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, System.nanoTime() + calls.timeoutNanos());
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        byte[] k = keyBytes(key);
        Subscription subscription = notifications.subscribe(k, onRelease);
        if (notifications.listens()) {
            // Releases notify only keys marked as waited for. The core tries again after subscribing, so a release
            // that committed before this mark is found by that attempt; one after it sees the mark.
            try {
                calls.call("marking a waiter of lock '" + key + "'", deadlineNanos, connection -> {
                    try (PreparedStatement statement = connection.prepareStatement(dialect.markWaiting())) {
                        statement.setBytes(1, k);
                        statement.setLong(2, ReleaseNotifications.MARK_US);
                        return statement.executeUpdate();
                    }
                });
            } catch (RuntimeException e) {
                subscription.close();
                throw e;
            }
        }
        return subscription;
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
