package io.distlock.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * A private one-member {@code etcd} for one benchmark trial: client, peer and metrics URLs on free loopback ports, its
 * own temporary data directory. {@link #close()} kills it and deletes the directory; a shutdown hook does so if the
 * trial ends without closing it. lock-etcd's test launcher is package-private, hence this small copy. Counts the gRPC
 * requests the server started, from its metrics.
 */
final class EtcdProcess implements AutoCloseable {

    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private final Path dir;
    private final int clientPort;
    private final int metricsPort;
    private final Process process;
    private final Thread killer;

    private EtcdProcess(Path dir, int clientPort, int metricsPort, Process process) {
        this.dir = dir;
        this.clientPort = clientPort;
        this.metricsPort = metricsPort;
        this.process = process;
        this.killer = new Thread(process::destroyForcibly, "etcd-bench-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts the server and returns once it reports itself healthy. */
    static EtcdProcess start() {
        Path dir;
        try {
            dir = Files.createTempDirectory("distlock-bench-etcd-");
        } catch (IOException e) {
            throw new IllegalStateException("no temporary directory for etcd", e);
        }
        int client = freePort();
        int peer = freePort();
        int metrics = freePort();
        String clientUrl = "http://127.0.0.1:" + client;
        String peerUrl = "http://127.0.0.1:" + peer;
        List<String> command = List.of("etcd", "--name", "bench", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "bench=" + peerUrl, "--listen-metrics-urls", "http://127.0.0.1:" + metrics,
                "--logger", "zap", "--log-level", "error");
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("etcd.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start etcd (the etcd benchmarks need the etcd server on the "
                    + "PATH, e.g. 'apt-get install etcd-server'): " + command, e);
        }
        EtcdProcess server = new EtcdProcess(dir, client, metrics, process);
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (!server.metrics("/health").contains("\"true\"")) {
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                server.close();
                throw new IllegalStateException("etcd on port " + client + " did not start");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.close();
                throw new IllegalStateException("interrupted while starting etcd", e);
            }
        }
        return server;
    }

    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    /** gRPC requests (unary calls and stream messages) the server received so far. */
    long requestsReceived() {
        long total = 0;
        for (String line : metrics("/metrics").split("\n")) {
            if (line.startsWith("grpc_server_msg_received_total{")) {
                total += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    private String metrics(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + path))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException e) {
            // Already shutting down: the hook runs anyway.
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temp dir is untidy but harmless.
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
