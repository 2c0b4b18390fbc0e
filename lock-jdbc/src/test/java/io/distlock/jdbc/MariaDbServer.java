package io.distlock.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

/**
 * A private MariaDB 10.11 server from Debian's packages ({@code mariadbd}), started once per test JVM on a free
 * loopback port ({@link #shared()}) with a database {@code distlock} and a user {@code distlock} (password
 * {@code distlock}) allowed from 127.0.0.1, and stopped by a shutdown hook (and by its wrapper if this JVM dies).
 */
final class MariaDbServer extends DatabaseProcess {

    static final String USER = "distlock";
    static final String PASSWORD = "distlock";
    private static MariaDbServer shared;

    private MariaDbServer() {
        super("mariadb", "mysql");
        runAsOwner(List.of("mariadb-install-db", "--no-defaults", "--datadir=" + dir.resolve("data"),
                "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"),
                Duration.ofSeconds(120));
        launch();
        runAsOwner(List.of("mariadb", "--no-defaults", "--socket=" + dir.resolve("sock"), "-uroot", "-e",
                "CREATE DATABASE distlock; CREATE USER '" + USER + "'@'127.0.0.1' IDENTIFIED BY '" + PASSWORD
                        + "'; GRANT ALL ON *.* TO '" + USER + "'@'127.0.0.1';"), Duration.ofSeconds(30));
    }

    /** The server shared by every test class of this JVM. */
    static synchronized MariaDbServer shared() {
        if (shared == null) {
            shared = new MariaDbServer();
            MariaDbServer server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "stop-mariadb"));
        }
        return shared;
    }

    @Override
    List<String> serverCommand() {
        return List.of("/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + dir.resolve("data"),
                "--port=" + port, "--bind-address=127.0.0.1", "--skip-networking=0", "--skip-name-resolve",
                "--socket=" + dir.resolve("sock"), "--pid-file=" + dir.resolve("mariadbd.pid"), "--skip-log-bin",
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=300");
    }

    /** Ready when the pid file is written and the port accepts; the distlock user does not exist yet at first. */
    @Override
    boolean ready() {
        if (!Files.exists(dir.resolve("mariadbd.pid"))) {
            return false;
        }
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    long serverPid() {
        try {
            return Long.parseLong(Files.readString(dir.resolve("mariadbd.pid")).trim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    String adminUrl() {
        return url() + "?user=" + USER + "&password=" + PASSWORD;
    }

    String url() {
        return "jdbc:mariadb://127.0.0.1:" + port + "/distlock";
    }
}
