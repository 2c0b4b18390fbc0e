package io.distlock.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

/**
 * A private PostgreSQL 15 server from Debian's packages ({@code /usr/lib/postgresql/15/bin}), started once per test
 * JVM on a free loopback port ({@link #shared()}) and stopped by a shutdown hook (and by its wrapper if this JVM
 * dies). Durability is switched off for speed; the tests restart it with a fast shutdown, which keeps the data.
 */
final class PostgresServer extends DatabaseProcess {

    static final String BIN = System.getProperty("distlock.postgres.bin", newestInstalled());
    private static PostgresServer shared;

    private PostgresServer() {
        super("postgres", "postgres");
        runAsOwner(List.of(BIN + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync", "--no-instructions"), Duration.ofSeconds(120));
        launch();
    }

    /** The bin directory of the newest Debian-packaged PostgreSQL, e.g. {@code /usr/lib/postgresql/15/bin}. */
    private static String newestInstalled() {
        java.io.File[] versions = new java.io.File("/usr/lib/postgresql").listFiles(
                f -> new java.io.File(f, "bin/postgres").canExecute() && f.getName().matches("[0-9]+"));
        if (versions == null || versions.length == 0) {
            return "/usr/lib/postgresql/15/bin";
        }
        java.util.Arrays.sort(versions, java.util.Comparator.comparingInt(f -> Integer.parseInt(f.getName())));
        return versions[versions.length - 1].getPath() + "/bin";
    }

    /** The server shared by every test class of this JVM. */
    static synchronized PostgresServer shared() {
        if (shared == null) {
            shared = new PostgresServer();
            PostgresServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "stop-postgres"));
        }
        return shared;
    }

    @Override
    List<String> serverCommand() {
        return List.of(BIN + "/postgres", "-D", dir.resolve("data").toString(), "-p", Integer.toString(port),
                "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
                "-c", "shared_buffers=32MB", "-c", "log_min_messages=fatal", "-c", "log_min_error_statement=panic");
    }

    @Override
    long serverPid() {
        try {
            return Long.parseLong(Files.readAllLines(dir.resolve("data/postmaster.pid")).get(0).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String stopSignal() {
        return "INT";
    }

    @Override
    String adminUrl() {
        return url() + "?user=postgres";
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** Kills every client session but the caller's, as an administrator or a failover would. */
    int terminateConnections() {
        try (Connection connection = admin(); Statement statement = connection.createStatement()) {
            var rs = statement.executeQuery("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    + "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
