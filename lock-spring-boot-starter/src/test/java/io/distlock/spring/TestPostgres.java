package io.distlock.spring;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL from Debian's packages (the newest {@code /usr/lib/postgresql/N/bin}) on a free loopback
 * port, in a data directory under /tmp (owned by the {@code postgres} user when the tests run as root, since
 * PostgreSQL refuses to run as root), durability off. It runs under a shell wrapper that stops it when this JVM's end
 * of the wrapper's stdin closes, so a JVM that dies without {@link #close()} leaves no server behind.
 */
public final class TestPostgres implements AutoCloseable {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final Path dir;
    private final int port;
    private final String bin;
    private Process wrapper;

    private TestPostgres(Path dir, int port, String bin) {
        this.dir = dir;
        this.port = port;
        this.bin = bin;
    }

    public static TestPostgres start() {
        try {
            Path dir = Files.createTempDirectory(Path.of("/tmp"), "distlock-starter-pg-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            TestPostgres postgres = new TestPostgres(dir, port, newestBin());
            try {
                postgres.launch();
            } catch (RuntimeException e) {
                postgres.close();
                throw e;
            }
            return postgres;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String newestBin() {
        java.io.File[] versions = new java.io.File("/usr/lib/postgresql").listFiles(
                f -> new java.io.File(f, "bin/postgres").canExecute() && f.getName().matches("[0-9]+"));
        if (versions == null || versions.length == 0) {
            throw new IllegalStateException("no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql)");
        }
        Arrays.sort(versions, Comparator.comparingInt(f -> Integer.parseInt(f.getName())));
        return versions[versions.length - 1].getPath() + "/bin";
    }

    private List<String> asOwner(List<String> command) {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        return full;
    }

    private void launch() throws IOException {
        if (ROOT) {
            exec(List.of("chown", "postgres:", dir.toString()));
        }
        exec(asOwner(List.of(bin + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync")));
        List<String> command = new ArrayList<>(List.of("bash", "-c",
                "exec 3<&0; \"$@\" </dev/null & p=$!; ( read -r _ <&3; kill -INT $p 2>/dev/null ) & wait $p",
                "wrapper", bin + "/postgres", "-D", dir.resolve("data").toString(), "-p", Integer.toString(port),
                "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100",
                "-c", "shared_buffers=16MB"));
        wrapper = new ProcessBuilder(asOwner(command)).redirectErrorStream(true)
                .redirectOutput(dir.resolve("server.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Connection ignored = DriverManager.getConnection(url(), "postgres", "")) {
                return;
            } catch (SQLException e) {
                if (!wrapper.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("PostgreSQL did not start on port " + port + ": "
                            + Files.readString(dir.resolve("server.log")), e);
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private void exec(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("commands.log").toFile())).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " failed: " + Files.readString(dir.resolve("commands.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The JDBC URL of database {@code postgres}; user {@code postgres}, no password. */
    public String url() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    @Override
    public void close() {
        if (wrapper != null) {
            try {
                wrapper.getOutputStream().close();
                wrapper.waitFor(30, TimeUnit.SECONDS);
            } catch (IOException e) {
                // The wrapper ended already.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            wrapper.destroyForcibly();
            wrapper = null;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // A leftover directory under /tmp is harmless.
        }
    }
}
