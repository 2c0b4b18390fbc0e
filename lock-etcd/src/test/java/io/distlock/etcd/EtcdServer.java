package io.distlock.etcd;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A private {@code etcd} process for tests, alone or as a member of a cluster the test starts ({@link #cluster}):
 * client, peer and metrics URLs on free loopback ports, its data directory under {@code target/etcd-data}. Every
 * process started is killed by {@link #close()}, and by a shutdown hook if a test run ends without closing it, so no
 * etcd outlives the JVM that started it. Also pauses (SIGSTOP), resumes and kills single members.
 */
final class EtcdServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Set<EtcdServer> RUNNING = ConcurrentHashMap.newKeySet();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(EtcdServer::kill),
                "etcd-test-servers-killer"));
    }

    private final String name;
    private final int clientPort;
    private final int peerPort;
    private final int metricsPort;
    private final Path dataDir;
    private final List<String> extraArgs;
    private String initialCluster;
    private String clusterToken;
    private volatile Process process;

    private EtcdServer(String name, Path dataDir, List<String> extraArgs) {
        this.name = name;
        this.clientPort = freePort();
        this.peerPort = freePort();
        this.metricsPort = freePort();
        this.dataDir = dataDir;
        this.extraArgs = List.copyOf(extraArgs);
    }

    /** Starts a one-member cluster with {@code extraArgs} such as TLS options, and waits until it is healthy. */
    static EtcdServer start(String... extraArgs) {
        requireEtcd();
        EtcdServer server = new EtcdServer("solo", newDataDir(), List.of(extraArgs));
        server.initialCluster = server.name + "=" + server.peerUrl();
        server.clusterToken = "distlock-" + UUID.randomUUID();
        server.launch();
        server.awaitHealthy();
        return server;
    }

    /** Starts a cluster of {@code size} members and waits until every member is healthy (a leader is elected). */
    static List<EtcdServer> cluster(int size) {
        requireEtcd();
        Path base = newDataDir();
        List<EtcdServer> members = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            members.add(new EtcdServer("m" + i, base.resolve("m" + i), List.of()));
        }
        String initial = members.stream().map(m -> m.name + "=" + m.peerUrl()).collect(Collectors.joining(","));
        String token = "distlock-" + UUID.randomUUID();
        try {
            for (EtcdServer member : members) {
                member.initialCluster = initial;
                member.clusterToken = token;
                member.launch();
            }
            members.forEach(EtcdServer::awaitHealthy);
        } catch (RuntimeException e) {
            members.forEach(EtcdServer::close);
            throw e;
        }
        return members;
    }

    /** {@code 127.0.0.1:port} of the client URL. */
    String endpoint() {
        return "127.0.0.1:" + clientPort;
    }

    long pid() {
        return process.pid();
    }

    boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** SIGSTOP: the process keeps its sockets but answers nothing, like a hung host. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() {
        signal("CONT");
    }

    /** SIGKILL; the data directory stays for {@link #restart()}. */
    void kill() {
        Process p = process;
        if (p != null && p.isAlive()) {
            signal("CONT");
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        RUNNING.remove(this);
    }

    /** Starts the killed member again on its ports and data; waits until it is healthy if {@code await}. */
    void restart(boolean await) {
        kill();
        launch();
        if (await) {
            awaitHealthy();
        }
    }

    /** Whether the member answers its health check (it has a leader and serves requests). */
    boolean isHealthy() {
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + metricsPort + "/health")).timeout(Duration.ofMillis(800))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().contains("\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover data directory under target/ is untidy but harmless.
        }
    }

    @Override
    public String toString() {
        return "etcd " + name + " at " + endpoint();
    }

    private String peerUrl() {
        return "http://127.0.0.1:" + peerPort;
    }

    private void launch() {
        String scheme = extraArgs.contains("--cert-file") || extraArgs.stream().anyMatch(a -> a.startsWith(
                "--cert-file")) ? "https" : "http";
        String clientUrl = scheme + "://127.0.0.1:" + clientPort;
        List<String> command = new ArrayList<>(List.of("etcd",
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl(),
                "--initial-advertise-peer-urls", peerUrl(),
                "--listen-metrics-urls", "http://127.0.0.1:" + metricsPort,
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", clusterToken,
                "--initial-cluster-state", "new",
                "--logger", "zap",
                "--log-level", "error",
                "--log-outputs", dataDir.resolveSibling(name + ".log").toString()));
        command.addAll(extraArgs);
        try {
            Files.createDirectories(dataDir.getParent());
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dataDir.resolveSibling(name + ".out").toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + command, e);
        }
        RUNNING.add(this);
    }

    private void awaitHealthy() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!isHealthy()) {
            if (!isRunning() || System.nanoTime() - deadline > 0) {
                String log = readLog();
                kill();
                throw new IllegalStateException(this + " did not become healthy: " + log);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting " + this, e);
            }
        }
    }

    private String readLog() {
        StringBuilder sb = new StringBuilder();
        for (String suffix : new String[] {".log", ".out"}) {
            Path file = dataDir.resolveSibling(name + suffix);
            try {
                if (Files.exists(file)) {
                    String text = Files.readString(file, StandardCharsets.UTF_8);
                    sb.append(text, Math.max(0, text.length() - 4000), text.length());
                }
            } catch (IOException e) {
                sb.append("(no log: ").append(e).append(')');
            }
        }
        return sb.toString();
    }

    private void signal(String signal) {
        Process p = process;
        if (p != null && p.isAlive()) {
            try {
                Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start();
                if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                    throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed");
                }
            } catch (IOException e) {
                throw new IllegalStateException("could not signal " + this, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted signalling " + this, e);
            }
        }
    }

    private static Path newDataDir() {
        return Path.of("target", "etcd-data", UUID.randomUUID().toString(), "data").toAbsolutePath();
    }

    private static void requireEtcd() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "etcd"))) {
                return;
            }
        }
        throw new IllegalStateException("the etcd tests need the etcd server (3.4 or newer) on the PATH; install it "
                + "with 'sudo apt-get install etcd-server' (Debian/Ubuntu), 'brew install etcd' (macOS) or from "
                + "https://etcd.io/docs/latest/install/");
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
