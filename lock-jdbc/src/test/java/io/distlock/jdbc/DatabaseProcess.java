package io.distlock.jdbc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A database server process the tests start on a free loopback port in a private data directory under /tmp (owned
 * by the database's OS user when the tests run as root, since PostgreSQL and MariaDB refuse to run as root). The
 * server runs under a small shell wrapper that kills it when this JVM's end of its stdin closes, so a JVM that dies
 * without running its shutdown hooks does not leave a server behind. Pauses are SIGSTOP of the server and all its
 * processes.
 */
abstract class DatabaseProcess implements AutoCloseable {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    final Path dir;
    final int port;
    private final String osUser;
    private Process wrapper;
    private volatile boolean paused;

    DatabaseProcess(String name, String osUser) {
        this.osUser = osUser;
        try {
            this.dir = Files.createTempDirectory(Path.of("/tmp"), "distlock-" + name + "-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            if (ROOT) {
                run(List.of("chown", osUser + ":", dir.toString()), Duration.ofSeconds(10));
            }
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                this.port = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The command line of the server, run in the foreground. */
    abstract List<String> serverCommand();

    /** The server's main pid, once it runs. */
    abstract long serverPid();

    /** A JDBC URL for an administrative connection. */
    abstract String adminUrl();

    /** Runs {@code command} as the database's OS user, waiting for it. */
    void runAsOwner(List<String> command, Duration timeout) {
        run(asOwner(command), timeout);
    }

    private List<String> asOwner(List<String> command) {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", osUser, "--"));
        }
        full.addAll(command);
        return full;
    }

    void run(List<String> command, Duration timeout) {
        run(command, timeout, true);
    }

    void run(List<String> command, Duration timeout, boolean checkExit) {
        try {
            Path log = dir.resolve("commands.log");
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not finish in " + timeout);
            }
            if (checkExit && process.exitValue() != 0) {
                throw new IllegalStateException(command + " failed with " + process.exitValue() + ": "
                        + Files.readString(log));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts the server and waits until it accepts connections. */
    void launch() {
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "exec 3<&0; \"$@\" </dev/null & p=$!; ( read -r _ <&3; kill -CONT $p 2>/dev/null; kill -TERM $p 2>/dev/null ) & "
                        + "wait $p", "wrapper"));
        command.addAll(serverCommand());
        try {
            wrapper = new ProcessBuilder(asOwner(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        SQLException last = null;
        while (System.nanoTime() < deadline) {
            if (!wrapper.isAlive()) {
                throw new IllegalStateException("the server ended at start: " + serverLog());
            }
            try {
                if (ready()) {
                    return;
                }
            } catch (SQLException e) {
                last = e;
            }
            sleep(100);
        }
        throw new IllegalStateException("the server did not accept connections within 60 s: " + last + "\n"
                + serverLog());
    }

    /** Whether the server accepts connections; by default, whether an admin connection opens. */
    boolean ready() throws SQLException {
        try (Connection ignored = DriverManager.getConnection(adminUrl())) {
            return true;
        }
    }

    String serverLog() {
        try {
            return Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    Connection admin() throws SQLException {
        return DriverManager.getConnection(adminUrl());
    }

    private void signalAll(String signal) {
        long pid = serverPid();
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal, Long.toString(pid)));
        ProcessHandle.of(pid).ifPresent(handle -> handle.descendants()
                .forEach(child -> command.add(Long.toString(child.pid()))));
        // Not checked: a backend process may end between the listing and the signal ("no such process").
        run(command, Duration.ofSeconds(10), false);
    }

    /** SIGSTOP of the server and its processes: connections stay open, nothing answers. */
    synchronized void pause() {
        if (!paused) {
            paused = true;
            signalAll("STOP");
        }
    }

    synchronized void resume() {
        if (paused) {
            signalAll("CONT");
            paused = false;
        }
    }

    /** Stops the server (fast shutdown), waiting for it to end. */
    synchronized void stop() {
        if (wrapper == null) {
            return;
        }
        resume();
        long pid = serverPid();
        ProcessHandle handle = ProcessHandle.of(pid).orElse(null);
        if (handle != null) {
            run(List.of("kill", "-" + stopSignal(), Long.toString(pid)), Duration.ofSeconds(10));
            try {
                handle.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                handle.destroyForcibly();
            }
        }
        try {
            wrapper.getOutputStream().close();
            wrapper.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            // The wrapper ended already.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        wrapper.destroyForcibly();
        wrapper = null;
    }

    String stopSignal() {
        return "TERM";
    }

    /** Stops and starts the server again on the same port with the same data. */
    synchronized void restart() {
        stop();
        launch();
    }

    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // A leftover directory under /tmp is harmless.
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
