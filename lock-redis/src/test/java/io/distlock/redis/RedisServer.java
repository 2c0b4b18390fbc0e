package io.distlock.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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

/**
 * A private {@code redis-server} process for tests: loopback only, a free port chosen at start, no persistence, its
 * own temporary directory. {@link #close()} kills it and deletes the directory. Also runs a sentinel
 * ({@link #startSentinel}) and {@code redis-cli} commands against it.
 */
final class RedisServer implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final List<String> args;
    private final int port;
    private final String password;
    private Process process;

    private RedisServer(Path dir, int port, List<String> args, String password) {
        this.dir = dir;
        this.port = port;
        this.args = args;
        this.password = password;
    }

    /** Starts a server with extra configuration arguments such as {@code --requirepass secret}. */
    static RedisServer start(String... extraArgs) {
        return startWithPassword(null, extraArgs);
    }

    /** As {@link #start(String...)}, for a server that needs {@code password} to answer redis-cli. */
    static RedisServer startWithPassword(String password, String... extraArgs) {
        return start(0, password, extraArgs);
    }

    /** As {@link #start(String...)}, on {@code port} (0 for a free one). */
    static RedisServer startOnPort(int port, String... extraArgs) {
        return start(port, null, extraArgs);
    }

    private static RedisServer start(int port, String password, String... extraArgs) {
        requireRedis();
        Path dir = tempDir("distlock-redis-");
        List<String> args = new ArrayList<>(List.of("--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir.toString(), "--daemonize", "no", "--logfile", dir.resolve("redis.log").toString()));
        args.addAll(List.of(extraArgs));
        RedisServer server = new RedisServer(dir, port == 0 ? freePort() : port, args, password);
        server.launch(List.of());
        return server;
    }

    /** Starts a sentinel on a free port watching {@code master} as {@code masterName}, with a quorum of one. */
    static RedisServer startSentinel(String masterName, RedisServer master) {
        return startSentinel(masterName, master.port());
    }

    /** As {@link #startSentinel(String, RedisServer)}, for a master reached on {@code masterPort} (a proxy's). */
    static RedisServer startSentinel(String masterName, int masterPort) {
        requireRedis();
        Path dir = tempDir("distlock-sentinel-");
        int port = freePort();
        Path conf = dir.resolve("sentinel.conf");
        try {
            Files.writeString(conf, String.join("\n",
                    "port " + port,
                    "bind 127.0.0.1",
                    "dir " + dir,
                    "logfile " + dir.resolve("sentinel.log"),
                    "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " 1",
                    "sentinel down-after-milliseconds " + masterName + " 1000",
                    "sentinel failover-timeout " + masterName + " 5000",
                    ""));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        RedisServer sentinel = new RedisServer(dir, port, List.of(), null);
        sentinel.launch(List.of(conf.toString(), "--sentinel"));
        return sentinel;
    }

    private void launch(List<String> leading) {
        List<String> command = new ArrayList<>();
        command.add("redis-server");
        command.addAll(leading);
        if (leading.isEmpty()) {
            command.addAll(List.of("--port", Integer.toString(port)));
            command.addAll(args);
        }
        try {
            process = new ProcessBuilder(command).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + command, e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answersPing()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String log = readLogs();
                kill();
                throw new IllegalStateException("redis-server on port " + port + " did not start: " + log);
            }
            sleepBriefly();
        }
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    /** SIGSTOP: the server keeps its sockets but answers nothing, like a hung host. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause()}. */
    void resume() {
        signal("CONT");
    }

    /** Kills the server (SIGKILL) and starts a new, empty one on the same port. */
    void restart() {
        kill();
        launch(List.of());
    }

    /** Kills the server (SIGKILL); its port stays reserved for {@link #restart()}. */
    void kill() {
        if (process != null && process.isAlive()) {
            signal("CONT");
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Runs {@code redis-cli -p PORT args...} and returns its output, failing if it fails. */
    String cli(String... cliArgs) {
        List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p",
                Integer.toString(port)));
        if (password != null) {
            command.addAll(List.of("--no-auth-warning", "-a", password));
        }
        command.addAll(List.of(cliArgs));
        return run(command);
    }

    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " failed: " + out);
            }
            return out.trim();
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temp dir is untidy but harmless.
        }
    }

    private boolean answersPing() {
        // A raw RESP PING: a NOAUTH error also proves the server is up.
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int first = socket.getInputStream().read();
            return first == '+' || first == '-';
        } catch (IOException e) {
            return false;
        }
    }

    private void signal(String signal) {
        if (process != null && process.isAlive()) {
            run(List.of("kill", "-" + signal, Long.toString(process.pid())));
        }
    }

    private String readLogs() {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".log")).toList()) {
                sb.append(Files.readString(p));
            }
        } catch (IOException e) {
            sb.append("(no logs: ").append(e).append(')');
        }
        return sb.toString();
    }

    private static void requireRedis() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "redis-server")) && Files.isExecutable(Path.of(dir, "redis-cli"))) {
                return;
            }
        }
        throw new IllegalStateException("the Redis tests need redis-server and redis-cli (Redis 7) on the PATH; "
                + "install them with 'sudo apt-get install redis-server' (Debian/Ubuntu), 'brew install redis' "
                + "(macOS) or from https://redis.io/download");
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting redis-server", e);
        }
    }
}
