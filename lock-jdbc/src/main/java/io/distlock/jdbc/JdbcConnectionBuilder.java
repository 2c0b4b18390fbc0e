package io.distlock.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.distlock.LockBackendException;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The connection options that {@link JdbcLockManager.Builder} and {@link JdbcRecordStore.Builder} share: either the
 * caller's {@link DataSource} (its pool, never closed by distlock) or a JDBC URL from which what is built creates,
 * owns and closes a small HikariCP pool. Package-private: its public methods appear as the builders' own. Not thread
 * safe, like the builders.
 *
 * @param <B> the concrete builder
 */
abstract sealed class JdbcConnectionBuilder<B extends JdbcConnectionBuilder<B>>
        permits JdbcLockManager.Builder, JdbcRecordStore.Builder {

    /** What the database connection resolved to at {@code build()}. */
    record Resolved(JdbcCalls calls, JdbcDialect dialect, boolean listen, AutoCloseable owned) {
    }

    private DataSource dataSource;
    private String url;
    private String username;
    private String password;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private int poolSize = 10;
    private JdbcDialect dialect;
    private boolean createSchema;

    JdbcConnectionBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        // Safe: the only subclasses are the two builders, each declared as JdbcConnectionBuilder<itself>.
        return (B) this;
    }

    /**
     * Uses the caller's pool. Each operation borrows a connection for one autocommit statement (the connection's
     * autocommit and network timeout are restored before it goes back); a PostgreSQL manager also keeps one
     * connection for {@code LISTEN} while a call waits. The pool's own connection timeout bounds how long a call
     * waits for a connection when the pool is exhausted: keep it at or below the operation timeout. Excludes
     * {@link #url}.
     *
     * @param dataSource the pool; the caller closes it after what this builder builds
     * @return this builder
     * @throws NullPointerException if {@code dataSource} is null
     */
    public B dataSource(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        return self();
    }

    /**
     * Creates an owned HikariCP pool for a JDBC URL, e.g. {@code jdbc:postgresql://db:5432/app}; its connection
     * timeout is the operation timeout. Excludes {@link #dataSource}.
     *
     * @param url the JDBC URL; the driver must be on the class path
     * @return this builder
     * @throws NullPointerException if {@code url} is null
     * @throws IllegalArgumentException if {@code url} does not start with {@code jdbc:}
     */
    public B url(String url) {
        Objects.requireNonNull(url, "url must not be null");
        if (!url.startsWith("jdbc:")) {
            throw new IllegalArgumentException("a JDBC URL starts with 'jdbc:', got '" + JdbcUrls.redact(url) + "'");
        }
        this.url = url;
        return self();
    }

    /**
     * The user of an owned pool.
     *
     * @param username the database user
     * @return this builder
     * @throws NullPointerException if {@code username} is null
     */
    public B username(String username) {
        this.username = Objects.requireNonNull(username, "username must not be null");
        return self();
    }

    /**
     * The password of an owned pool; never logged.
     *
     * @param password the password
     * @return this builder
     * @throws NullPointerException if {@code password} is null
     */
    public B password(String password) {
        this.password = Objects.requireNonNull(password, "password must not be null");
        return self();
    }

    /**
     * A driver property of an owned pool (TLS settings such as {@code sslmode}, {@code sslrootcert} pass through here).
     *
     * @param name the driver's property name
     * @param value its value
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public B property(String name, String value) {
        properties.put(Objects.requireNonNull(name, "name must not be null"),
                Objects.requireNonNull(value, "value must not be null"));
        return self();
    }

    /**
     * The most connections of an owned pool for operations (default 10); a PostgreSQL manager adds one for
     * {@code LISTEN}.
     *
     * @param poolSize at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code poolSize} is below 1
     */
    public B poolSize(int poolSize) {
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be at least 1, got " + poolSize);
        }
        this.poolSize = poolSize;
        return self();
    }

    /**
     * Forces the dialect instead of detecting it from the connection's metadata.
     *
     * @param dialect the dialect
     * @return this builder
     * @throws NullPointerException if {@code dialect} is null
     */
    public B dialect(JdbcDialect dialect) {
        this.dialect = Objects.requireNonNull(dialect, "dialect must not be null");
        return self();
    }

    /**
     * Whether {@code build()} creates the distlock tables and indexes that are missing (default false: apply the
     * scripts under {@link JdbcDialect#schemaLocation()} with your migration tool instead). Needs CREATE privilege.
     *
     * @param createSchema true to create what is missing
     * @return this builder
     */
    public B createSchema(boolean createSchema) {
        this.createSchema = createSchema;
        return self();
    }

    /**
     * Connects, detects the dialect and creates the schema if asked.
     *
     * @param what names what is being built, for messages
     * @param timeout the operation timeout
     * @param extraConnections connections an owned pool needs beyond {@link #poolSize}
     */
    Resolved resolve(String what, Duration timeout, int extraConnections) {
        if (dataSource != null && url != null) {
            throw new IllegalStateException("a " + what + " takes either dataSource(...) or url(...), not both");
        }
        if (dataSource == null && url == null) {
            throw new IllegalStateException("a " + what + " needs dataSource(...) or url(...)");
        }
        if (dataSource != null && (username != null || password != null || !properties.isEmpty())) {
            throw new IllegalStateException("username, password and properties apply to url(...), not to a "
                    + "dataSource(...), which has its own");
        }
        HikariDataSource owned = null;
        DataSource source = dataSource;
        String description = dataSource != null ? "the given DataSource" : JdbcUrls.redact(url);
        if (source == null) {
            owned = pool(timeout, extraConnections);
            source = owned;
        }
        JdbcCalls calls = new JdbcCalls(source, timeout, description);
        try {
            JdbcDialect detected = calls.call("connecting", connection -> dialect != null ? dialect
                    : JdbcDialect.of(connection));
            boolean listen = detected == JdbcDialect.POSTGRESQL
                    && calls.call("connecting", PgNotifications::supported);
            if (createSchema) {
                JdbcSchema.createIfMissing(calls, detected);
            }
            return new Resolved(calls, detected, listen, owned);
        } catch (RuntimeException e) {
            if (owned != null) {
                owned.close();
            }
            throw e;
        }
    }

    private HikariDataSource pool(Duration timeout, int extraConnections) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        if (username != null) {
            config.setUsername(username);
        }
        if (password != null) {
            config.setPassword(password);
        }
        properties.forEach(config::addDataSourceProperty);
        config.setMaximumPoolSize(poolSize + extraConnections);
        config.setMinimumIdle(Math.min(2, poolSize));
        config.setAutoCommit(true);
        // Hikari refuses less than 250 ms; the operation timeout bounds a call that waits for a connection.
        config.setConnectionTimeout(Math.max(250, timeout.toMillis()));
        config.setValidationTimeout(Math.max(250, Math.min(timeout.toMillis(), 5000)));
        // Build fails fast below instead of in the pool's constructor, with the LockBackendException we document.
        config.setInitializationFailTimeout(-1);
        config.setPoolName("distlock-" + Integer.toHexString(System.identityHashCode(config)));
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new LockBackendException("could not create a connection pool for " + JdbcUrls.redact(url) + ": "
                    + e.getMessage(), e);
        }
    }

    /** Closes an owned pool, for callers that fail after {@link #resolve}. */
    static void closeQuietly(AutoCloseable owned) {
        if (owned != null) {
            try {
                owned.close();
            } catch (Exception ignored) {
                // Already failing; the original error is what matters.
            }
        }
    }
}
