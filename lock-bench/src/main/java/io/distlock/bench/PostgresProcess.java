package io.distlock.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL (Debian's newest {@code /usr/lib/postgresql/N/bin}) for one benchmark trial: loopback only,
 * a free port, a data directory under /tmp, durability off (fsync would measure the disk). Run as the
 * {@code postgres} user when the benchmark runs as root, under a wrapper that stops the server when this JVM's pipe
 * closes. lock-jdbc's test launcher is test code, hence this small copy.
 */
final class PostgresProcess implements AutoCloseable {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final Path dir;
    private final int port;
    private Process wrapper;

    private PostgresProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    static PostgresProcess start() {
        String bin = newestBin();
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "distlock-bench-postgres-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            PostgresProcess server = new PostgresProcess(dir, port);
            try {
                if (ROOT) {
                    server.run(List.of("chown", "postgres:", dir.toString()));
                }
                server.run(asOwner(List.of(bin + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--no-sync")));
                List<String> command = new ArrayList<>(List.of("bash", "-c", "exec 3<&0; \"$@\" </dev/null & p=$!; "
                        + "( read -r _ <&3; kill -CONT $p 2>/dev/null; kill -INT $p 2>/dev/null ) & wait $p",
                        "wrapper", bin + "/postgres", "-D", dir.resolve("data").toString(), "-p",
                        Integer.toString(port), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
                        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
                server.wrapper = new ProcessBuilder(asOwner(command)).redirectErrorStream(true)
                        .redirectOutput(dir.resolve("server.log").toFile()).start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (true) {
                    try (Connection ignored = DriverManager.getConnection(server.url() + "?user=postgres")) {
                        return server;
                    } catch (SQLException e) {
                        if (System.nanoTime() > deadline || !server.wrapper.isAlive()) {
                            throw new IllegalStateException("PostgreSQL did not start: " + e);
                        }
                        Thread.sleep(100);
                    }
                }
            } catch (RuntimeException | InterruptedException e) {
                server.close();
                throw new IllegalStateException("could not start PostgreSQL (the JDBC benchmark needs Debian's "
                        + "postgresql package)", e);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not start PostgreSQL", e);
        }
    }

    private static String newestBin() {
        java.io.File[] versions = new java.io.File("/usr/lib/postgresql").listFiles(
                f -> new java.io.File(f, "bin/postgres").canExecute() && f.getName().matches("[0-9]+"));
        if (versions == null || versions.length == 0) {
            throw new IllegalStateException("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)");
        }
        java.util.Arrays.sort(versions, Comparator.comparingInt(f -> Integer.parseInt(f.getName())));
        return versions[versions.length - 1].getPath() + "/bin";
    }

    private static List<String> asOwner(List<String> command) {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        return full;
    }

    private void run(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile())).start();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException(command + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    /** Stops the server (fast shutdown through its wrapper) and deletes its directory. */
    @Override
    public void close() {
        if (wrapper != null) {
            try {
                wrapper.getOutputStream().close();
                if (!wrapper.waitFor(30, TimeUnit.SECONDS)) {
                    wrapper.destroyForcibly();
                }
            } catch (IOException e) {
                // Already gone.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover directory under /tmp is harmless.
        }
    }
}
