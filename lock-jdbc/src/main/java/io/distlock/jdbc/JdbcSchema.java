package io.distlock.jdbc;

import io.distlock.LockBackendException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The versioned schema scripts shipped in the jar (Flyway-style names, one directory per dialect), and the opt-in
 * "create if missing" that runs them: every statement is {@code CREATE ... IF NOT EXISTS}, so running it against an
 * existing schema changes nothing.
 */
final class JdbcSchema {

    /** The script versions, oldest first. */
    static final List<String> VERSIONS = List.of("V1__distlock.sql");

    private JdbcSchema() {
    }

    /** The statements of every script of {@code dialect}, in order. */
    static List<String> statements(JdbcDialect dialect) {
        List<String> statements = new ArrayList<>();
        for (String version : VERSIONS) {
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
        }
        return statements;
    }

    /**
     * Creates the tables and indexes that are missing.
     *
     * @throws LockBackendException if the database refused (e.g. no CREATE privilege)
     */
    static void createIfMissing(JdbcCalls calls, JdbcDialect dialect) {
        List<String> statements = statements(dialect);
        calls.call("creating the distlock schema", connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements) {
                    statement.execute(sql);
                }
            }
            return null;
        });
    }
}
