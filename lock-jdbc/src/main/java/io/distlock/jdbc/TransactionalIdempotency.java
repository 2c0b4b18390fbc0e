package io.distlock.jdbc;

import io.distlock.LockBackendException;
import io.distlock.idempotency.IdempotencyException;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.OperationFailedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.ResultTooLargeException;
import io.distlock.spi.KeyRules;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Idempotency keys whose record lives in the caller's own transaction: for operations whose effect is in the same
 * database, the business write and the idempotency record commit together or roll back together, so the effect
 * happens exactly once on the database even if the process dies between the write and the commit.
 * <pre>{@code
 * connection.setAutoCommit(false);
 * Receipt receipt = idempotency.execute(connection, request.idempotencyKey(), sha256(request.body()),
 *         Duration.ofHours(24), codec, tx -> orders.insert(tx, request));   // same connection, same transaction
 * connection.commit();
 * }</pre>
 * With Spring, pass the transaction's connection ({@code DataSourceUtils.getConnection(dataSource)}) inside a
 * {@code @Transactional} method.
 *
 * <p><b>How:</b> in the caller's transaction, the key's record is read (a completed one is replayed without running
 * anything), then a claim row is inserted into {@code distlock_idempotency}, the operation runs on the same
 * connection, and the claim is turned into the completed record with the encoded result. Nothing is committed here:
 * the caller's commit makes the business write and the record durable at once. A concurrent duplicate must not wait
 * for that commit: on PostgreSQL it first tries a transaction-scoped advisory lock on the key
 * ({@code pg_try_advisory_xact_lock}, no waiting at all); on MySQL/MariaDB and H2 its insert of the claim waits at
 * most {@link Builder#lockWait} for the uncommitted claim of the first ({@code innodb_lock_wait_timeout}, whole
 * seconds, at least one; H2's {@code LOCK_TIMEOUT}). Either way it gets {@link RequestInProgressException}.
 *
 * <p><b>Contract:</b> the first request runs the operation; a duplicate while it runs gets
 * {@link RequestInProgressException} (answer 409); a duplicate after its commit gets the stored result (the
 * operation does not run); the same key with another fingerprint gets {@link KeyReusedException} (422); an
 * operation that throws leaves no record (its exception propagates; checked ones wrapped in
 * {@link OperationFailedException}) and the caller should roll back; a rolled-back or never-committed transaction
 * leaves nothing, so a retry runs again. Results expire after their ttl on the database clock.
 *
 * <p><b>The caller's transaction:</b> {@code connection} must not be in autocommit mode (an
 * {@link IllegalStateException} otherwise). After {@link RequestInProgressException} roll the transaction back: on
 * PostgreSQL a concurrent duplicate that raced past the advisory lock (e.g. under REPEATABLE READ) may have aborted
 * it. MySQL's lock wait timeout setting of the session is restored before {@code execute} returns.
 *
 * <p><b>Failures:</b> a database error raises {@link LockBackendException} (the transaction's fate is the caller's
 * decision; rolling back is always safe). <b>Thread safety:</b> instances are thread safe; a connection is used by
 * one thread at a time, as JDBC requires.
 */
public final class TransactionalIdempotency {

    static final byte COMPLETED = 1;
    static final byte CLAIMED = 3;
    /** The longest idempotency key, in UTF-8 bytes, as for {@code IdempotencyKeys}. */
    public static final int MAX_KEY_BYTES = 1000;

    private final JdbcDialect forcedDialect;
    private final Duration lockWait;
    private final int maxResultBytes;
    private final Map<Class<?>, JdbcDialect> dialects = new ConcurrentHashMap<>();

    private TransactionalIdempotency(Builder builder) {
        this.forcedDialect = builder.dialect;
        this.lockWait = builder.lockWait;
        this.maxResultBytes = builder.maxResultBytes;
    }

    /**
     * A new builder with the defaults (dialect detected, lock wait 1 s, results up to 512 KiB).
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs {@code operation} once for {@code key} in the caller's transaction on {@code connection}, or replays the
     * result a committed earlier run stored.
     *
     * @param connection the caller's connection, in a transaction (autocommit off); not committed or closed here
     * @param key the idempotency key, at most 1000 UTF-8 bytes
     * @param fingerprint what identifies the request's content; stored as SHA-256
     * @param ttl how long the result is replayed
     * @param codec how the result is stored
     * @param operation the business work; it must use {@code connection} for its writes to share the transaction
     * @param <T> the result type
     * @return the operation's result, from this run or replayed
     * @throws RequestInProgressException if a transaction with this key is running (or just committed: retry)
     * @throws KeyReusedException if the key was used with another fingerprint
     * @throws ResultTooLargeException if the encoded result exceeds the limit (roll back)
     * @throws OperationFailedException if the operation threw a checked exception
     * @throws LockBackendException if the database failed
     * @throws IllegalStateException if {@code connection} is in autocommit mode
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the key is blank or too long, or the ttl is not positive
     */
    public <T> T execute(Connection connection, String key, String fingerprint, Duration ttl, ResultCodec<T> codec,
                         TransactionalOperation<T> operation) {
        Objects.requireNonNull(connection, "connection must not be null");
        KeyRules.checkKey("idempotency key", key, MAX_KEY_BYTES);
        Objects.requireNonNull(fingerprint, "fingerprint must not be null");
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        Objects.requireNonNull(codec, "codec must not be null");
        Objects.requireNonNull(operation, "operation must not be null");
        byte[] k = JdbcLockBackend.keyBytes(key);
        byte[] hash = sha256(fingerprint);
        try {
            if (connection.getAutoCommit()) {
                throw new IllegalStateException("transactional idempotency needs a transaction: the connection is "
                        + "in autocommit mode");
            }
            JdbcDialect dialect = dialect(connection);
            if (dialect == JdbcDialect.POSTGRESQL && !tryAdvisoryLock(connection, k)) {
                throw new RequestInProgressException(key);
            }
            Integer previousWait = boundLockWait(connection, dialect);
            try {
                return run(connection, dialect, key, k, hash, ttl, codec, operation);
            } finally {
                if (previousWait != null) {
                    setSessionLockWait(connection, dialect == JdbcDialect.MYSQL
                            ? "SET SESSION innodb_lock_wait_timeout = ?" : "SET LOCK_TIMEOUT ?", previousWait);
                }
            }
        } catch (SQLException e) {
            throw new LockBackendException("transactional idempotency key '" + key + "' failed: "
                    + JdbcCalls.describe(e), e);
        }
    }

    private <T> T run(Connection connection, JdbcDialect dialect, String key, byte[] k, byte[] hash, Duration ttl,
                      ResultCodec<T> codec, TransactionalOperation<T> operation) throws SQLException {
        String now = dialect.now;
        boolean stale = false;
        // Read first: a retry after the commit, the common case, is answered without running anything.
        try (PreparedStatement read = connection.prepareStatement("SELECT status, fingerprint, result, "
                + "CASE WHEN expires_us > " + now + " THEN 1 ELSE 0 END FROM distlock_idempotency "
                + "WHERE record_key = ?")) {
            read.setBytes(1, k);
            try (ResultSet rs = read.executeQuery()) {
                if (rs.next()) {
                    boolean live = rs.getInt(4) == 1;
                    if (live && rs.getInt(1) == COMPLETED) {
                        if (!Arrays.equals(rs.getBytes(2), hash)) {
                            throw new KeyReusedException(key);
                        }
                        return decode(key, codec, rs.getBytes(3));
                    }
                    // Expired, or a claim that was committed without its result (the caller committed after the
                    // operation failed): nothing to replay, so this run takes the key over.
                    stale = true;
                }
            }
        }
        if (stale) {
            // Only when there is a row: a delete of an absent key takes gap locks on InnoDB, and two such
            // transactions inserting next would deadlock each other.
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM distlock_idempotency WHERE record_key = ? AND (status = " + CLAIMED
                            + " OR expires_us <= " + now + ")")) {
                delete.setBytes(1, k);
                inProgressOnConflict(key, dialect, delete::executeUpdate);
            }
        }
        claim(connection, dialect, key, k, hash, ttl);
        T result;
        try {
            result = operation.run(connection);
        } catch (Exception e) {
            giveUp(connection, k, e);
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw new OperationFailedException(key, "the operation for idempotency key '" + key + "' failed: "
                    + e, e);
        }
        byte[] payload;
        try {
            payload = codec.encode(result);
        } catch (Exception e) {
            giveUp(connection, k, e);
            throw new IdempotencyException(key, "could not encode the result for idempotency key '" + key + "'",
                    e);
        }
        if (payload.length > maxResultBytes) {
            ResultTooLargeException tooLarge = new ResultTooLargeException(key, payload.length, maxResultBytes);
            giveUp(connection, k, tooLarge);
            throw tooLarge;
        }
        try (PreparedStatement complete = connection.prepareStatement("UPDATE distlock_idempotency SET status = "
                + COMPLETED + ", result = ? WHERE record_key = ?")) {
            complete.setBytes(1, payload);
            complete.setBytes(2, k);
            if (complete.executeUpdate() != 1) {
                throw new IdempotencyException(key, "the claim of idempotency key '" + key + "' vanished from "
                        + "its own transaction", null);
            }
        }
        return result;
    }

    private JdbcDialect dialect(Connection connection) throws SQLException {
        if (forcedDialect != null) {
            return forcedDialect;
        }
        JdbcDialect known = dialects.get(connection.getClass());
        if (known == null) {
            known = JdbcDialect.of(connection);
            dialects.put(connection.getClass(), known);
        }
        return known;
    }

    private static boolean tryAdvisoryLock(Connection connection, byte[] key) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT pg_try_advisory_xact_lock(?)")) {
            statement.setLong(1, advisoryKey(key));
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * The advisory lock's 64-bit key: the first 8 bytes of SHA-256 over a distlock-specific prefix and the key. Two
     * keys sharing it (odds of 2^-64 per pair) only make one of them wait for the other's commit as "in progress".
     */
    static long advisoryKey(byte[] key) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update("distlock-idempotency:".getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest.digest(key)).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void claim(Connection connection, JdbcDialect dialect, String key, byte[] k, byte[] hash,
                              Duration ttl) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO distlock_idempotency (record_key, fingerprint, status, result, expires_us) "
                        + "VALUES (?, ?, " + CLAIMED + ", NULL, " + dialect.now + " + ?)")) {
            statement.setBytes(1, k);
            statement.setBytes(2, hash);
            statement.setLong(3, Math.max(1, JdbcLockBackend.micros(ttl)));
            inProgressOnConflict(key, dialect, statement::executeUpdate);
        }
    }

    @FunctionalInterface
    private interface SqlCall {
        int call() throws SQLException;
    }

    /**
     * Runs a statement that touches the key's row, turning "another transaction holds or just committed this key"
     * (a duplicate key, a lock wait that timed out, a deadlock between two first requests) into
     * {@link RequestInProgressException}.
     */
    private static void inProgressOnConflict(String key, JdbcDialect dialect, SqlCall call) throws SQLException {
        try {
            call.call();
        } catch (SQLException e) {
            if (dialect.isDuplicateKey(e) || isLockTimeout(e) || "40001".equals(e.getSQLState())
                    || "40P01".equals(e.getSQLState()) || e.getErrorCode() == 1213) {
                RequestInProgressException inProgress = new RequestInProgressException(key);
                inProgress.addSuppressed(e);
                throw inProgress;
            }
            throw e;
        }
    }

    /** Bounds lock waits of this session (MySQL, H2); returns the previous setting to restore, or null. */
    private Integer boundLockWait(Connection connection, JdbcDialect dialect) throws SQLException {
        if (dialect == JdbcDialect.MYSQL) {
            Integer previous = sessionLockWait(connection, "SELECT @@SESSION.innodb_lock_wait_timeout");
            setSessionLockWait(connection, "SET SESSION innodb_lock_wait_timeout = ?",
                    (int) Math.max(1, (lockWait.toMillis() + 999) / 1000));
            return previous;
        }
        if (dialect == JdbcDialect.H2) {
            Integer previous = sessionLockWait(connection, "SELECT CAST(SETTING_VALUE AS INT) FROM "
                    + "INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'LOCK_TIMEOUT'");
            setSessionLockWait(connection, "SET LOCK_TIMEOUT ?", (int) Math.max(1, lockWait.toMillis()));
            return previous;
        }
        return null;
    }

    private static Integer sessionLockWait(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            return rs.next() ? rs.getInt(1) : null;
        }
    }

    private static void setSessionLockWait(Connection connection, String sql, int value) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setInt(1, value);
            statement.execute();
        }
    }

    /** MySQL 1205 "Lock wait timeout exceeded", H2 50200, PostgreSQL 55P03 (lock_not_available). */
    static boolean isLockTimeout(SQLException e) {
        return e.getErrorCode() == 1205 || e.getErrorCode() == 50200 || "55P03".equals(e.getSQLState())
                || "HYT00".equals(e.getSQLState());
    }

    private static void giveUp(Connection connection, byte[] k, Exception reason) {
        try (PreparedStatement delete = connection.prepareStatement(
                "DELETE FROM distlock_idempotency WHERE record_key = ? AND status = " + CLAIMED)) {
            delete.setBytes(1, k);
            delete.executeUpdate();
        } catch (SQLException e) {
            // The caller rolls back after the operation's failure anyway; this only matters if it commits.
            reason.addSuppressed(e);
        }
    }

    private static <T> T decode(String key, ResultCodec<T> codec, byte[] payload) {
        try {
            return codec.decode(payload == null ? new byte[0] : payload);
        } catch (Exception e) {
            throw new IdempotencyException(key, "could not decode the stored result of idempotency key '" + key
                    + "'", e);
        }
    }

    static byte[] sha256(String fingerprint) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(fingerprint.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /**
     * Deletes at most {@code limit} expired records (kept for replay until their ttl), e.g. from a scheduled job.
     * Runs one statement on {@code connection}; commit it if it is not in autocommit mode.
     *
     * @param connection a connection to the database
     * @param limit the most rows to delete, positive
     * @return the number deleted
     * @throws LockBackendException if the database failed
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    public int purgeExpired(Connection connection, int limit) {
        Objects.requireNonNull(connection, "connection must not be null");
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        try {
            JdbcDialect dialect = dialect(connection);
            try (PreparedStatement statement = connection.prepareStatement(dialect.purgeIdempotency())) {
                dialect.bindPurge(statement, 0, limit);
                return statement.executeUpdate();
            }
        } catch (SQLException e) {
            throw new LockBackendException("purging expired idempotency records failed: " + JdbcCalls.describe(e),
                    e);
        }
    }

    /** Builds {@link TransactionalIdempotency}. Not thread safe. */
    public static final class Builder {
        private JdbcDialect dialect;
        private Duration lockWait = Duration.ofSeconds(1);
        private int maxResultBytes = 512 * 1024;

        private Builder() {
        }

        /**
         * Forces the dialect instead of detecting it from the first connection's metadata.
         *
         * @param dialect the dialect
         * @return this builder
         * @throws NullPointerException if {@code dialect} is null
         */
        public Builder dialect(JdbcDialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect must not be null");
            return this;
        }

        /**
         * How long a duplicate waits for the first request's uncommitted claim before
         * {@link RequestInProgressException} on MySQL/MariaDB (rounded up to whole seconds, at least 1) and H2
         * (default 1 s). PostgreSQL never waits (advisory try-lock).
         *
         * @param lockWait positive
         * @return this builder
         * @throws NullPointerException if {@code lockWait} is null
         * @throws IllegalArgumentException if it is not positive
         */
        public Builder lockWait(Duration lockWait) {
            Objects.requireNonNull(lockWait, "lockWait must not be null");
            if (lockWait.isNegative() || lockWait.isZero()) {
                throw new IllegalArgumentException("lockWait must be positive, got " + lockWait);
            }
            this.lockWait = lockWait;
            return this;
        }

        /**
         * The largest encoded result stored (default 512 KiB).
         *
         * @param maxResultBytes positive
         * @return this builder
         * @throws IllegalArgumentException if it is not positive
         */
        public Builder maxResultBytes(int maxResultBytes) {
            if (maxResultBytes <= 0) {
                throw new IllegalArgumentException("maxResultBytes must be positive, got " + maxResultBytes);
            }
            this.maxResultBytes = maxResultBytes;
            return this;
        }

        /**
         * Builds the instance; it holds no connection.
         *
         * @return the instance
         */
        public TransactionalIdempotency build() {
            return new TransactionalIdempotency(this);
        }
    }
}
