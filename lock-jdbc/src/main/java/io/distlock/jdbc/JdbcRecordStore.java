package io.distlock.jdbc;

import io.distlock.LockBackendException;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.spi.KeyRules;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Entry point of the JDBC {@link RecordStore} for {@code lock-idempotency}: the records behind idempotency keys and
 * one-time tokens, in table {@code distlock_records} of the same database as the locks.
 * <pre>{@code
 * LockManager locks = JdbcLockManager.builder().dataSource(dataSource).build();
 * RecordStore store = JdbcRecordStore.builder().dataSource(dataSource).build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 * For operations whose effect is in this same database, {@link TransactionalIdempotency} goes further: the record
 * commits or rolls back with the business write.
 *
 * <p><b>Cost:</b> {@code get}, {@code replace} and {@code remove} are one autocommit statement each; {@code putIfAbsent}
 * is one upsert on PostgreSQL and a delete-if-expired plus an insert elsewhere. Expiry is decided by the database's
 * clock; expired rows read as absent at once and are deleted by a bounded purge (at most 1000 rows per
 * {@link Builder#purgeInterval}).
 *
 * <p><b>Guarantees:</b> each operation is atomic in the database, and records last as long as the database keeps its
 * committed writes. <b>Outage:</b> every call is bounded by the operation timeout and then throws
 * {@link LockBackendException}; a write that timed out has an unknown outcome. <b>Misuse:</b> a null argument
 * throws {@link NullPointerException}, a value over {@link RecordStore#maxValueBytes()} or a non-positive ttl
 * {@link IllegalArgumentException} (before anything is sent), a call after {@code close()}
 * {@link IllegalStateException}. <b>Thread safety:</b> stores are thread safe; builders are not.
 */
public final class JdbcRecordStore {

    /** Default largest value: 1 MiB, twice the idempotency kit's default result limit. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
    /** The largest {@link Builder#maxValueBytes} accepted, the size of H2's value column: 16 MiB. */
    public static final int MAX_VALUE_BYTES_LIMIT = 16 * 1024 * 1024;
    /** The longest record key, in UTF-8 bytes (the key column's width). */
    static final int MAX_KEY_BYTES = 1400;

    private JdbcRecordStore() {
    }

    /**
     * A new builder with the default limits and no database chosen yet.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds JDBC record stores on the caller's {@link javax.sql.DataSource} or an owned pool for a URL. Not thread
     * safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends JdbcConnectionBuilder<Builder> {
        private Duration operationTimeout = Duration.ofSeconds(3);
        private int maxValueBytes = DEFAULT_MAX_VALUE_BYTES;
        private Duration purgeInterval = Duration.ofMinutes(1);

        private Builder() {
        }

        /**
         * The longest one call may take before {@link LockBackendException} (default 3 s).
         *
         * @param operationTimeout positive
         * @return this builder
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is not positive
         */
        public Builder operationTimeout(Duration operationTimeout) {
            Objects.requireNonNull(operationTimeout, "operationTimeout must not be null");
            if (operationTimeout.isNegative() || operationTimeout.isZero()) {
                throw new IllegalArgumentException("operationTimeout must be positive, got " + operationTimeout);
            }
            this.operationTimeout = operationTimeout;
            return this;
        }

        /**
         * The largest value accepted (default 1 MiB, at most 16 MiB; mind MySQL's {@code max_allowed_packet}).
         *
         * @param maxValueBytes between 1 and {@link #MAX_VALUE_BYTES_LIMIT}
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxValueBytes(int maxValueBytes) {
            if (maxValueBytes < 1 || maxValueBytes > MAX_VALUE_BYTES_LIMIT) {
                throw new IllegalArgumentException("maxValueBytes must be between 1 and " + MAX_VALUE_BYTES_LIMIT
                        + ", got " + maxValueBytes);
            }
            this.maxValueBytes = maxValueBytes;
            return this;
        }

        /**
         * How often expired records are purged, at most 1000 per run (default every minute); {@link Duration#ZERO}
         * turns the purge off.
         *
         * @param purgeInterval zero or positive
         * @return this builder
         * @throws NullPointerException if it is null
         * @throws IllegalArgumentException if it is negative
         */
        public Builder purgeInterval(Duration purgeInterval) {
            Objects.requireNonNull(purgeInterval, "purgeInterval must not be null");
            if (purgeInterval.isNegative()) {
                throw new IllegalArgumentException("purgeInterval must not be negative, got " + purgeInterval);
            }
            this.purgeInterval = purgeInterval;
            return this;
        }

        /**
         * Builds the store; it connects now.
         *
         * @return a new store; it closes the pool it created, never the caller's
         * @throws IllegalStateException if neither or both of a data source and a URL were given
         * @throws LockBackendException if the database could not be reached
         */
        public RecordStore build() {
            Resolved resolved = resolve("JDBC record store", operationTimeout, 0);
            Housekeeping housekeeping = Housekeeping.every(purgeInterval, resolved.calls(), resolved.dialect(),
                    resolved.dialect().purgeRecords(), Duration.ZERO, "records");
            return new Store(resolved.calls(), resolved.dialect(), maxValueBytes, resolved.owned(), housekeeping);
        }
    }

    /** The store itself. */
    static final class Store implements RecordStore {
        private final JdbcCalls calls;
        private final JdbcDialect dialect;
        private final int maxValueBytes;
        private final AutoCloseable owned;
        private final Housekeeping housekeeping;
        private final AtomicBoolean closed = new AtomicBoolean();

        Store(JdbcCalls calls, JdbcDialect dialect, int maxValueBytes, AutoCloseable owned,
              Housekeeping housekeeping) {
            this.calls = calls;
            this.dialect = dialect;
            this.maxValueBytes = maxValueBytes;
            this.owned = owned;
            this.housekeeping = housekeeping;
        }

        @Override
        public String name() {
            return "jdbc";
        }

        @Override
        public int maxValueBytes() {
            return maxValueBytes;
        }

        private byte[] key(String key) {
            KeyRules.checkKey("record key", key, MAX_KEY_BYTES);
            return JdbcLockBackend.keyBytes(key);
        }

        private void checkValue(byte[] value) {
            Objects.requireNonNull(value, "value must not be null");
            if (value.length > maxValueBytes) {
                throw new IllegalArgumentException("value is " + value.length + " bytes; this store takes at most "
                        + maxValueBytes);
            }
        }

        private static long ttl(Duration ttl) {
            Objects.requireNonNull(ttl, "ttl must not be null");
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("ttl must be positive, got " + ttl);
            }
            return Math.max(1, JdbcLockBackend.micros(ttl));
        }

        private void ensureOpen() {
            if (closed.get()) {
                throw new IllegalStateException("this jdbc record store is closed");
            }
        }

        @Override
        public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
            byte[] k = key(key);
            checkValue(value);
            long ttlUs = ttl(ttl);
            ensureOpen();
            return calls.call("storing record '" + key + "'", connection -> {
                if (dialect == JdbcDialect.POSTGRESQL) {
                    try (PreparedStatement statement = connection.prepareStatement(dialect.putIfAbsentUpsert())) {
                        statement.setBytes(1, k);
                        statement.setBytes(2, value);
                        statement.setLong(3, ttlUs);
                        return statement.executeUpdate() > 0;
                    }
                }
                try (PreparedStatement delete = connection.prepareStatement(dialect.deleteExpiredRecord())) {
                    delete.setBytes(1, k);
                    delete.executeUpdate();
                }
                try (PreparedStatement insert = connection.prepareStatement(dialect.insertRecord())) {
                    insert.setBytes(1, k);
                    insert.setBytes(2, value);
                    insert.setLong(3, ttlUs);
                    insert.executeUpdate();
                    return true;
                } catch (SQLException e) {
                    if (dialect.isDuplicateKey(e)) {
                        return false;
                    }
                    throw e;
                }
            });
        }

        @Override
        public Optional<byte[]> get(String key) {
            byte[] k = key(key);
            ensureOpen();
            return calls.call("reading record '" + key + "'", connection -> {
                try (PreparedStatement statement = connection.prepareStatement(dialect.getRecord())) {
                    statement.setBytes(1, k);
                    try (ResultSet rs = statement.executeQuery()) {
                        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.<byte[]>empty();
                    }
                }
            });
        }

        @Override
        public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
            byte[] k = key(key);
            Objects.requireNonNull(expected, "expected must not be null");
            checkValue(value);
            long ttlUs = ttl(ttl);
            ensureOpen();
            return calls.call("replacing record '" + key + "'", connection -> {
                try (PreparedStatement statement = connection.prepareStatement(dialect.replaceRecord())) {
                    statement.setBytes(1, value);
                    statement.setLong(2, ttlUs);
                    statement.setBytes(3, k);
                    statement.setBytes(4, expected);
                    return statement.executeUpdate() > 0;
                }
            });
        }

        @Override
        public boolean remove(String key, byte[] expected) {
            byte[] k = key(key);
            Objects.requireNonNull(expected, "expected must not be null");
            ensureOpen();
            return calls.call("removing record '" + key + "'", connection -> {
                try (PreparedStatement statement = connection.prepareStatement(dialect.removeRecord())) {
                    statement.setBytes(1, k);
                    statement.setBytes(2, expected);
                    return statement.executeUpdate() > 0;
                }
            });
        }

        /**
         * Deletes at most {@code limit} expired records now; the scheduled purge does the same.
         *
         * @return the number deleted
         */
        int purgeExpired(int limit) {
            ensureOpen();
            return Housekeeping.purge(calls, dialect, dialect.purgeRecords(), Duration.ZERO, limit);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                housekeeping.close();
                JdbcConnectionBuilder.closeQuietly(owned);
            }
        }

        @Override
        public String toString() {
            return "JdbcRecordStore[" + dialect + ", " + calls.description() + "]";
        }
    }
}
