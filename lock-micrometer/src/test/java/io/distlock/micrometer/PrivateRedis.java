package io.distlock.micrometer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * A private {@code redis-server} on 127.0.0.1 and a free port, without persistence, in its own temporary directory;
 * {@link #close()} kills it and deletes the directory. Needs {@code redis-server} and {@code redis-cli} on the PATH.
 */
final class PrivateRedis implements AutoCloseable {

    private final Path dir;
    private final int port;
    private final Process process;

    private PrivateRedis(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    static PrivateRedis start() throws IOException {
        Path dir = Files.createTempDirectory("distlock-micrometer-redis-");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Process process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        PrivateRedis redis = new PrivateRedis(dir, port, process);
        try {
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                    .until(() -> !process.isAlive() || redis.answersPing());
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server did not start: " + Files.readString(
                        dir.resolve("redis.log")));
            }
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
        return redis;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Runs {@code redis-cli} against the server and returns its output. */
    String cli(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        command.addAll(List.of(args));
        Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!cli.waitFor(20, TimeUnit.SECONDS)) {
            cli.destroyForcibly();
            throw new IllegalStateException("redis-cli did not finish: " + command);
        }
        return new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    /** Kills the server; the port stays closed, so clients see an outage. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return socket.getInputStream().read() == '+';
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is untidy but harmless.
        }
    }
}
