package io.distlock.jdbc;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;

import java.time.Duration;
import java.util.Objects;

/**
 * Entry point of the JDBC backend: lock managers whose locks exclude each other across every process using the same
 * database (PostgreSQL 13+, MySQL 8, MariaDB 10.11, H2 2.x), on the application's own pool or one built from a URL.
 * <pre>{@code
 * LockManager locks = JdbcLockManager.builder()
 *         .dataSource(dataSource)                     // your pool; distlock never closes it
 *         .settings(LockSettings.defaults().withLease(Duration.ofSeconds(10)))
 *         .build();
 * }</pre>
 * The same is reachable as
 * {@code LockManagers.create(URI.create("jdbc:postgresql://db:5432/app?user=app&password=secret&lease=10s"))}, which
 * builds and owns a small HikariCP pool.
 *
 * <p><b>Storage:</b> one row per key in {@code distlock_locks} (see {@link JdbcDialect#schemaLocation()} for the
 * DDL): the key's UTF-8 bytes as primary key, the owner of the current acquisition (unique per acquisition, never a
 * host name), a fencing token and the lease end, both computed with the <em>database's</em> clock, so application
 * clocks never matter. Released rows stay (owner cleared) and are purged in bounded batches after
 * {@link Builder#retention}.
 *
 * <p><b>Cost:</b> acquire, a failed attempt, renewal and release are one autocommit statement each, on a connection
 * of their own (never inside the caller's transaction): one round trip. A bounded wait is woken by
 * {@code LISTEN/NOTIFY} on PostgreSQL (one listening connection per manager while anyone waits) and by one re-check
 * query per {@link Builder#pollInterval} for all waited-for keys elsewhere.
 *
 * <p><b>Guarantees</b> (the module README says where they end): mutual exclusion as long as the database keeps its
 * committed writes; fencing tokens are {@code max(previous + 1, database time in microseconds)}, so they keep
 * increasing across releases, expiries, restarts and purged rows, as long as the database clock does not step back
 * by more than the time since the key's last acquisition.
 *
 * <p><b>Outage:</b> every call is bounded by the operation timeout (the connection's network timeout is set to what
 * is left of it; an owned pool's connection timeout is the operation timeout) and then throws
 * {@link LockBackendException}; a call whose connection was dead is retried on another one while time is left.
 * <b>Thread safety:</b> managers are thread safe; builders are not.
 */
public final class JdbcLockManager {

    /** Default time a released or expired row is kept before the purge deletes it. */
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(1);
    /** Default interval of the bounded purge. */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(10);
    /** Default interval at which waiters' keys are re-checked where there are no notifications. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(100);

    private JdbcLockManager() {
    }

    /**
     * A new builder with the default settings and no database chosen yet.
     *
     * @return the builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds JDBC lock managers on the caller's {@link javax.sql.DataSource} or on an owned pool for a URL. Not
     * thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends JdbcConnectionBuilder<Builder> {
        private LockSettings settings = LockSettings.defaults();
        private boolean notifications = true;
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration retention = DEFAULT_RETENTION;
        private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;

        private Builder() {
        }

        /**
         * Lease, renewal, operation timeout, key prefix and ticker; default {@link LockSettings#defaults()}.
         *
         * @param settings the settings
         * @return this builder
         * @throws NullPointerException if {@code settings} is null
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Whether waiters on PostgreSQL are woken by {@code LISTEN/NOTIFY} (default true). Turn it off behind a
         * pooler in transaction mode (PgBouncer), where a listening session cannot be kept; waiters then re-check
         * every {@link #pollInterval}.
         *
         * @param notifications false to re-check instead
         * @return this builder
         */
        public Builder notifications(boolean notifications) {
            this.notifications = notifications;
            return this;
        }

        /**
         * How often waited-for keys are re-checked where there are no notifications (default 100 ms): one query
         * per interval for all keys this manager's waiters wait for, and none while nobody waits.
         *
         * @param pollInterval at least 1 ms
         * @return this builder
         * @throws NullPointerException if {@code pollInterval} is null
         * @throws IllegalArgumentException if it is shorter than 1 ms
         */
        public Builder pollInterval(Duration pollInterval) {
            Objects.requireNonNull(pollInterval, "pollInterval must not be null");
            if (pollInterval.toMillis() < 1) {
                throw new IllegalArgumentException("pollInterval must be at least 1 ms, got " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * How long a released or expired row stays before the purge may delete it (default one hour). Tokens do
         * not depend on it; a short retention only makes the table smaller.
         *
         * @param retention not negative
         * @return this builder
         * @throws NullPointerException if {@code retention} is null
         * @throws IllegalArgumentException if it is negative
         */
        public Builder retention(Duration retention) {
            Objects.requireNonNull(retention, "retention must not be null");
            if (retention.isNegative()) {
                throw new IllegalArgumentException("retention must not be negative, got " + retention);
            }
            this.retention = retention;
            return this;
        }

        /**
         * How often this manager purges old rows, at most 1000 per run (default every 10 minutes);
         * {@link Duration#ZERO} turns the purge off (e.g. when a database job does it).
         *
         * @param purgeInterval zero or positive
         * @return this builder
         * @throws NullPointerException if {@code purgeInterval} is null
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
         * Builds the manager; it connects now, so a wrong URL, password or a missing table shows here.
         *
         * @return a new manager; it closes the pool it created, never the caller's
         * @throws IllegalStateException if neither or both of a data source and a URL were given
         * @throws IllegalArgumentException if the database is not a supported one
         * @throws LockConfigurationException if the lock table is missing, or is the V1 table (its owner column too
         *     narrow), and was not to be created or upgraded; the message names the script to apply
         * @throws LockBackendException if the database could not be reached
         */
        public LockManager build() {
            Resolved resolved = resolve("JDBC lock manager", settings.operationTimeout(), 1);
            try {
                JdbcCalls calls = resolved.calls();
                JdbcDialect dialect = resolved.dialect();
                JdbcSchema.checkLockTable(calls, dialect);
                ReleaseNotifications notifications = new ReleaseNotifications(calls.dataSource(), dialect,
                        resolved.listen() && this.notifications, pollInterval, calls.description());
                Housekeeping housekeeping = Housekeeping.every(purgeInterval, calls, dialect, dialect.purgeLocks(),
                        retention, "locks");
                return LockManagerCore.create(new JdbcLockBackend(calls, dialect, notifications, resolved.owned(),
                        housekeeping), settings);
            } catch (RuntimeException e) {
                closeQuietly(resolved.owned());
                throw e;
            }
        }
    }
}
