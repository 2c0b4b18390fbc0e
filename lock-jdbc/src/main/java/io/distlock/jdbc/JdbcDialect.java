package io.distlock.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The SQL databases the JDBC backend speaks to. Usually detected from the connection's metadata; set it on a
 * builder only for a driver that reports an unusual product name. Every statement takes keys, owners and durations
 * as parameters; times are computed by the database's own clock, never by the application's.
 */
public enum JdbcDialect {

    /** PostgreSQL 13 or newer: {@code INSERT ... ON CONFLICT}, waiters woken by {@code LISTEN/NOTIFY}. */
    POSTGRESQL("postgresql",
            "(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000)::bigint"),
    /** MySQL 8 and MariaDB 10.11 (InnoDB): {@code INSERT ... ON DUPLICATE KEY UPDATE}, waiters re-check. */
    MYSQL("mysql",
            "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))"),
    /** H2 2.x: {@code MERGE INTO ... USING} read back through a data change delta table; waiters re-check. */
    H2("h2",
            "DATEDIFF(MICROSECOND, TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00', CURRENT_TIMESTAMP)");

    private final String resourceDirectory;
    /** Microseconds since the epoch on the database's clock, constant within one statement. */
    final String now;

    JdbcDialect(String resourceDirectory, String now) {
        this.resourceDirectory = resourceDirectory;
        this.now = now;
    }

    /**
     * The dialect of the database {@code connection} talks to, from its metadata.
     *
     * @param connection an open connection
     * @return the dialect
     * @throws SQLException if the metadata cannot be read
     * @throws IllegalArgumentException if the database is none of the supported ones
     */
    public static JdbcDialect of(Connection connection) throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        String product = metaData.getDatabaseProductName().toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return POSTGRESQL;
        }
        if (product.contains("mysql") || product.contains("mariadb")) {
            return MYSQL;
        }
        if (product.contains("h2")) {
            return H2;
        }
        throw new IllegalArgumentException("distlock's JDBC backend supports PostgreSQL, MySQL, MariaDB and H2, not '"
                + metaData.getDatabaseProductName() + "'");
    }

    /**
     * Where this dialect's versioned schema scripts live on the class path, e.g.
     * {@code io/distlock/jdbc/schema/postgresql/V1__distlock.sql}; usable from Flyway or Liquibase.
     *
     * @return the class path directory, without a trailing slash
     */
    public String schemaLocation() {
        return "io/distlock/jdbc/schema/" + resourceDirectory;
    }

    // ---- lock statements ----

    /**
     * Parameters: key, owner, lease in microseconds (PostgreSQL: then key and owner again). Takes a free, expired or
     * own row; the fencing token is
     * {@code max(previous + 1, now in microseconds)}, so it keeps increasing even after the row was purged.
     */
    String acquire() {
        return switch (this) {
            // The NOT EXISTS answers "held" from the snapshot without touching the row: ON CONFLICT DO UPDATE
            // would lock (and so write) the holder's row even when its WHERE is false.
            case POSTGRESQL -> "INSERT INTO distlock_locks AS l (lock_key, owner, token, expires_us) "
                    + "SELECT ?, ?, t.n, t.n + ? FROM (SELECT " + now + " AS n) t WHERE NOT EXISTS (SELECT 1 FROM "
                    + "distlock_locks h WHERE h.lock_key = ? AND h.owner IS NOT NULL AND h.owner <> ? "
                    + "AND h.expires_us > t.n) "
                    + "ON CONFLICT (lock_key) DO UPDATE SET owner = EXCLUDED.owner, "
                    + "token = GREATEST(l.token + 1, EXCLUDED.token), expires_us = EXCLUDED.expires_us "
                    + "WHERE l.owner IS NULL OR l.expires_us <= EXCLUDED.token OR l.owner = EXCLUDED.owner "
                    + "RETURNING token";
            // The token travels back as LAST_INSERT_ID (in the OK packet, no second round trip): set by the insert,
            // reset to 0 when the row stays with its holder. Assignments run left to right, so after the first one
            // "owner = VALUES(owner)" means "we took it" (owners are unique per acquisition).
            case MYSQL -> "INSERT INTO distlock_locks (lock_key, owner, token, expires_us) "
                    + "VALUES (?, ?, LAST_INSERT_ID(" + now + "), " + now + " + ?) "
                    + "ON DUPLICATE KEY UPDATE "
                    + "owner = IF(owner IS NULL OR expires_us <= VALUES(token) OR owner = VALUES(owner), "
                    + "VALUES(owner), owner), "
                    + "token = IF(owner = VALUES(owner), LAST_INSERT_ID(GREATEST(token + 1, VALUES(token))), "
                    + "token + LAST_INSERT_ID(0)), "
                    + "expires_us = IF(owner = VALUES(owner), VALUES(expires_us), expires_us)";
            case H2 -> "SELECT token FROM FINAL TABLE (MERGE INTO distlock_locks l USING (VALUES "
                    + "(CAST(? AS VARBINARY(1280)), CAST(? AS VARCHAR(256)), " + now + ", CAST(? AS BIGINT))) "
                    + "s(k, o, n, lease) ON l.lock_key = s.k "
                    + "WHEN MATCHED AND (l.owner IS NULL OR l.expires_us <= s.n OR l.owner = s.o) THEN UPDATE SET "
                    + "owner = s.o, token = GREATEST(l.token + 1, s.n), expires_us = s.n + s.lease "
                    + "WHEN NOT MATCHED THEN INSERT (lock_key, owner, token, expires_us) "
                    + "VALUES (s.k, s.o, s.n, s.n + s.lease))";
        };
    }

    /**
     * Parameters: key, owner (and for PostgreSQL the notification channel). PostgreSQL returns one row if released
     * (and notifies in the same statement, delivered on commit); the others return an update count.
     */
    String release() {
        if (this == POSTGRESQL) {
            // Notifies only while a waiter's mark is live: PostgreSQL queues every notification at commit under one
            // database-wide lock, listener or not. The mark is read from the row this UPDATE locks, so a waiter's
            // markWaiting() either committed before (and is seen) or runs after, and its retry finds the key free.
            return "WITH r AS (UPDATE distlock_locks SET owner = NULL, expires_us = " + now
                    + " WHERE lock_key = ? AND owner = ? RETURNING lock_key, waiters_until_us, expires_us) "
                    + "SELECT CASE WHEN r.waiters_until_us > r.expires_us THEN pg_notify(?, md5(r.lock_key)) END "
                    + "FROM r";
        }
        return "UPDATE distlock_locks SET owner = NULL, expires_us = " + now + " WHERE lock_key = ? AND owner = ?";
    }

    /**
     * PostgreSQL only. Parameters: key, mark duration in microseconds. Marks the key's row (creating a free one if
     * there is none) as waited for until then, so that releases notify; see {@link #release()}.
     */
    String markWaiting() {
        return "INSERT INTO distlock_locks AS l (lock_key, owner, token, expires_us, waiters_until_us) "
                + "SELECT ?, NULL, 0, 0, t.n + ? FROM (SELECT " + now + " AS n) t "
                + "ON CONFLICT (lock_key) DO UPDATE SET waiters_until_us = "
                + "GREATEST(l.waiters_until_us, EXCLUDED.waiters_until_us)";
    }

    /** PostgreSQL only. Parameters: mark duration in microseconds, then keys (count). Extends the marks of waited keys. */
    String refreshWaiting(int count) {
        return "UPDATE distlock_locks SET waiters_until_us = GREATEST(waiters_until_us, " + now + " + ?) "
                + "WHERE lock_key IN (" + placeholders(count) + ")";
    }

    /** Parameters: lease in microseconds, key, owner. Extends a live lease of the owner only. */
    String renew() {
        return "UPDATE distlock_locks SET expires_us = " + now + " + ? WHERE lock_key = ? AND owner = ? "
                + "AND expires_us > " + now;
    }

    /** Parameters: key. Remaining lease of a live holder in microseconds, no row if free. */
    String remaining() {
        return "SELECT expires_us - " + now + " FROM distlock_locks WHERE lock_key = ? AND owner IS NOT NULL "
                + "AND expires_us > " + now;
    }

    /**
     * Parameters: key. The live holder's owner, token and remaining lease in microseconds (database clock); no row
     * if nobody holds the key.
     */
    String inspectOne() {
        return "SELECT owner, token, expires_us - " + now + " FROM distlock_locks WHERE lock_key = ? "
                + "AND owner IS NOT NULL AND expires_us > " + now;
    }

    /**
     * One page of live locks in primary-key order: key, owner, token, remaining lease in microseconds. Parameters,
     * in order: the lower bound (the prefix, inclusive, or the cursor, exclusive) if {@code lower}, the prefix's
     * exclusive upper bound if {@code upper}, then the row limit. The bounds are a range on the binary primary key,
     * so the page is an index range scan.
     */
    String inspectPage(boolean lower, boolean afterCursor, boolean upper) {
        StringBuilder sql = new StringBuilder("SELECT lock_key, owner, token, expires_us - ").append(now)
                .append(" FROM distlock_locks WHERE owner IS NOT NULL AND expires_us > ").append(now);
        if (lower) {
            sql.append(afterCursor ? " AND lock_key > ?" : " AND lock_key >= ?");
        }
        if (upper) {
            sql.append(" AND lock_key < ?");
        }
        sql.append(" ORDER BY lock_key");
        sql.append(this == H2 ? " FETCH FIRST ? ROWS ONLY" : " LIMIT ?");
        return sql.toString();
    }

    /** Parameters: keys (count). The keys of the list that are held by a live lease. */
    String heldAmong(int count) {
        return "SELECT lock_key FROM distlock_locks WHERE lock_key IN (" + placeholders(count)
                + ") AND owner IS NOT NULL AND expires_us > " + now;
    }

    /** A bounded purge of {@code distlock_locks}; see {@link #bindPurge}. */
    String purgeLocks() {
        return purge("distlock_locks", "lock_key");
    }

    // ---- record store statements ----

    /** Parameters: key, value, ttl in microseconds; one row changed when stored (PostgreSQL only). */
    String putIfAbsentUpsert() {
        return "INSERT INTO distlock_records AS r (record_key, record_value, expires_us) VALUES (?, ?, " + now
                + " + ?) ON CONFLICT (record_key) DO UPDATE SET record_value = EXCLUDED.record_value, "
                + "expires_us = EXCLUDED.expires_us WHERE r.expires_us <= " + now;
    }

    /** Parameters: key. Deletes the entry if it expired (before an insert, for dialects without the upsert). */
    String deleteExpiredRecord() {
        return "DELETE FROM distlock_records WHERE record_key = ? AND expires_us <= " + now;
    }

    /** Parameters: key, value, ttl in microseconds. */
    String insertRecord() {
        return "INSERT INTO distlock_records (record_key, record_value, expires_us) VALUES (?, ?, " + now + " + ?)";
    }

    /** Parameters: key. */
    String getRecord() {
        return "SELECT record_value FROM distlock_records WHERE record_key = ? AND expires_us > " + now;
    }

    /** Parameters: value, ttl in microseconds, key, expected value. */
    String replaceRecord() {
        return "UPDATE distlock_records SET record_value = ?, expires_us = " + now + " + ? "
                + "WHERE record_key = ? AND record_value = ? AND expires_us > " + now;
    }

    /** Parameters: key, expected value. */
    String removeRecord() {
        return "DELETE FROM distlock_records WHERE record_key = ? AND record_value = ? AND expires_us > " + now;
    }

    /** A bounded purge of {@code distlock_records}; see {@link #bindPurge}. */
    String purgeRecords() {
        return purge("distlock_records", "record_key");
    }

    /** A bounded purge of {@code distlock_idempotency}; see {@link #bindPurge}. */
    String purgeIdempotency() {
        return purge("distlock_idempotency", "record_key");
    }

    /** Binds a purge statement: rows whose expiry is more than {@code graceUs} ago, at most {@code limit}. */
    void bindPurge(PreparedStatement statement, long graceUs, int limit) throws SQLException {
        statement.setLong(1, graceUs);
        statement.setInt(2, limit);
        if (this == POSTGRESQL) {
            statement.setLong(3, graceUs);
        }
    }

    /** Whether {@code e} says a unique key already existed. */
    boolean isDuplicateKey(SQLException e) {
        return "23505".equals(e.getSQLState()) || e.getErrorCode() == 1062
                || (e.getSQLState() != null && e.getSQLState().equals("23000") && this == MYSQL);
    }

    private String purge(String table, String key) {
        // Bounded, so one purge never holds many row locks or runs for long.
        String expired = "expires_us < " + now + " - ?";
        return switch (this) {
            // The condition is repeated outside the subquery: PostgreSQL re-checks it on a row changed meanwhile,
            // so a key taken again between the subquery and the delete is not deleted.
            case POSTGRESQL -> "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table
                    + " WHERE " + expired + " LIMIT ?) AND " + expired;
            case MYSQL -> "DELETE FROM " + table + " WHERE " + expired + " LIMIT ?";
            case H2 -> "DELETE FROM " + table + " WHERE " + expired + " FETCH FIRST ? ROWS ONLY";
        };
    }

    static String placeholders(int count) {
        StringBuilder sb = new StringBuilder(count * 2);
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "?" : ",?");
        }
        return sb.toString();
    }
}
