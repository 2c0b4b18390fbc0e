package io.distlock.jdbc;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The versioned schema scripts shipped in the jar (Flyway-style names, one directory per dialect), the opt-in
 * "create if missing" that runs them, and the check at build time that the lock table is the current one.
 *
 * <p>V1 created the tables; V2 widens {@code distlock_locks.owner} from 64 to 256 characters, because owners now
 * carry a description of the acquisition for operators. V1's statements are all {@code CREATE ... IF NOT EXISTS};
 * V2 is an {@code ALTER}, run by "create if missing" only when the column is still narrow, so that building a
 * manager against a current schema never takes a table lock. V3 drops V1's index on {@code distlock_locks.expires_us}:
 * every lock operation changes that column, and an indexed column makes PostgreSQL write every update as a new
 * tuple with new entries in every index instead of a heap-only (HOT) update on the same page. "Create if missing"
 * therefore skips that index of V1 and runs V3 only where an older schema still has it. On PostgreSQL V3 also adds
 * {@code waiters_until_us}, which waiting managers set so that a release sends {@code pg_notify} only when someone
 * waits; a PostgreSQL lock table without it is refused at build time, naming V3.
 */
final class JdbcSchema {

    /** The script versions, oldest first. */
    static final List<String> VERSIONS = List.of("V1__distlock.sql", "V2__owner_256.sql",
            "V3__lock_hot_updates.sql");
    /** The column V3 adds on PostgreSQL: until when a manager waits for the key, so that releases notify. */
    static final String WAITERS_COLUMN = "waiters_until_us";
    /** The index of V1 that V3 drops. */
    static final String DROPPED_LOCK_INDEX = "distlock_locks_expires";
    /** The longest owner the core writes, and so the width of the owner column since V2. */
    static final int OWNER_CHARS = 256;

    private JdbcSchema() {
    }

    /** The statements of every script of {@code dialect}, in order. */
    static List<String> statements(JdbcDialect dialect) {
        List<String> statements = new ArrayList<>();
        for (String version : VERSIONS) {
            statements.addAll(statements(dialect, version));
        }
        return statements;
    }

    /** The statements of one script of {@code dialect}. */
    static List<String> statements(JdbcDialect dialect, String version) {
        List<String> statements = new ArrayList<>();
        String resource = dialect.schemaLocation() + "/" + version;
        try (InputStream in = JdbcSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema script " + resource + " is missing from the class path");
            }
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                int comment = line.indexOf("--");
                String code = comment < 0 ? line : line.substring(0, comment);
                sql.append(code).append('\n');
            }
            for (String statement : sql.toString().split(";")) {
                if (!statement.isBlank()) {
                    statements.add(statement.trim());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not read schema script " + resource, e);
        }
        return statements;
    }

    /**
     * Creates the tables and indexes that are missing and upgrades a V1 lock table.
     *
     * @throws LockBackendException if the database refused (e.g. no CREATE or ALTER privilege)
     */
    static void createIfMissing(JdbcCalls calls, JdbcDialect dialect) {
        calls.call("creating the distlock schema", connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements(dialect, VERSIONS.get(0))) {
                    // V3 drops it again; creating it here would take a table lock on every build.
                    if (!(sql.startsWith("CREATE INDEX") && sql.contains(DROPPED_LOCK_INDEX))) {
                        statement.execute(sql);
                    }
                }
                if (ownerWidth(connection) < OWNER_CHARS) {
                    for (String sql : statements(dialect, VERSIONS.get(1))) {
                        statement.execute(sql);
                    }
                }
                if (hasLockExpiryIndex(connection)
                        || (dialect == JdbcDialect.POSTGRESQL && !hasColumn(connection, WAITERS_COLUMN))) {
                    for (String sql : statements(dialect, VERSIONS.get(2))) {
                        statement.execute(sql);
                    }
                }
            }
            return null;
        });
    }

    /** Whether {@code distlock_locks} still has V1's index on {@code expires_us} (created by V1, dropped by V3). */
    static boolean hasLockExpiryIndex(Connection connection) throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        // Unquoted names are stored lower case by PostgreSQL, upper case by H2, as written by MySQL.
        for (String table : new String[] {"distlock_locks", "DISTLOCK_LOCKS"}) {
            try (ResultSet rs = metaData.getIndexInfo(connection.getCatalog(), connection.getSchema(), table,
                    false, true)) {
                while (rs.next()) {
                    if (DROPPED_LOCK_INDEX.equalsIgnoreCase(rs.getString("INDEX_NAME"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Whether {@code distlock_locks} has {@code column}, from the metadata of an empty query. */
    static boolean hasColumn(Connection connection, String column) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT * FROM distlock_locks WHERE 1 = 0"); ResultSet rs = statement.executeQuery()) {
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                if (column.equalsIgnoreCase(rs.getMetaData().getColumnName(i))) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The declared width of {@code distlock_locks.owner}, read from the metadata of an empty query. */
    static int ownerWidth(Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "SELECT owner FROM distlock_locks WHERE 1 = 0"); ResultSet rs = statement.executeQuery()) {
            int precision = rs.getMetaData().getPrecision(1);
            return precision > 0 ? precision : rs.getMetaData().getColumnDisplaySize(1);
        }
    }

    /**
     * Checks at build time that {@code distlock_locks} exists and has the current owner column.
     *
     * @throws LockConfigurationException if the table is missing or is still the V1 one, naming the script to run
     * @throws LockBackendException if the database could not be reached
     */
    static void checkLockTable(JdbcCalls calls, JdbcDialect dialect) {
        int width;
        try {
            width = calls.call("checking table distlock_locks", JdbcSchema::ownerWidth);
        } catch (LockBackendException e) {
            if (e.getCause() instanceof SQLException sql && !JdbcCalls.retryable(sql)
                    && !(sql instanceof java.sql.SQLTimeoutException)) {
                throw new LockConfigurationException("table distlock_locks is not usable on " + calls.description()
                        + ": create it with the scripts in the jar (" + dialect.schemaLocation() + "/"
                        + String.join(", ", VERSIONS) + ", e.g. from Flyway) or with createSchema(true); "
                        + JdbcCalls.describe(sql), sql);
            }
            throw e;
        }
        if (width < OWNER_CHARS) {
            throw new LockConfigurationException("table distlock_locks on " + calls.description() + " has the V1 "
                    + "schema (owner VARCHAR(" + width + ")), but owners are now up to " + OWNER_CHARS
                    + " characters: apply migration " + dialect.schemaLocation() + "/" + VERSIONS.get(1)
                    + " (one ALTER of the owner column; Flyway picks it up from that location) or build with "
                    + "createSchema(true), which applies it");
        }
        if (dialect == JdbcDialect.POSTGRESQL
                && !calls.call("checking table distlock_locks", c -> hasColumn(c, WAITERS_COLUMN))) {
            throw new LockConfigurationException("table distlock_locks on " + calls.description() + " has no "
                    + WAITERS_COLUMN + " column, which releases read to notify only while someone waits: apply "
                    + "migration " + dialect.schemaLocation() + "/" + VERSIONS.get(2) + " (Flyway picks it up "
                    + "from that location) or build with createSchema(true), which applies it");
        }
    }
}
