package io.distlock.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private one-member {@code etcd} on free loopback ports (client, peer, metrics), its data directory under
 * {@code target/}. {@link #close()} kills it and deletes the directory.
 */
public final class TestEtcd implements AutoCloseable {

    private final Path dir;
    private final int clientPort = TestRedis.freePort();
    private final int peerPort = TestRedis.freePort();
    private final int metricsPort = TestRedis.freePort();
    private Process process;

    private TestEtcd(Path dir) {
        this.dir = dir;
    }

    public static TestEtcd start() {
        try {
            Path target = Path.of("target");
            Files.createDirectories(target);
            TestEtcd etcd = new TestEtcd(Files.createTempDirectory(target.toAbsolutePath(), "etcd-"));
            etcd.launch();
            return etcd;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() throws IOException {
        String client = "http://127.0.0.1:" + clientPort;
        String peer = "http://127.0.0.1:" + peerPort;
        process = new ProcessBuilder(List.of("etcd", "--name", "solo", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--listen-metrics-urls", "http://127.0.0.1:" + metricsPort,
                "--initial-cluster", "solo=" + peer, "--initial-cluster-state", "new", "--log-level", "error"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/health"))
                .timeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                HttpResponse<String> response = http.send(health, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && response.body().contains("\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException(e);
            }
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = Files.readString(dir.resolve("etcd.log"));
                close();
                throw new IllegalStateException("etcd did not become healthy on port " + clientPort + ": " + log);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException(e);
            }
        }
    }

    /** {@code host:port} of the client URL. */
    public String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Only a temporary directory under target/ is left behind.
        }
    }
}
