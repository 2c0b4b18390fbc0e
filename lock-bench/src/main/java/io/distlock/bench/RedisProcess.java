package io.distlock.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private {@code redis-server} for one benchmark trial: loopback only, a free port, no persistence (neither RDB nor
 * AOF: disk writes would measure the disk), its own temporary directory. {@link #close()} kills it and deletes the
 * directory. lock-redis's test launcher is package-private, hence this small copy.
 */
final class RedisProcess implements AutoCloseable {

    private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Path dir;
    private final int port;
    private final Process process;

    private RedisProcess(Path dir, int port, Process process) {
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Starts the server and returns once it answers PING. */
    static RedisProcess start() {
        Path dir;
        try {
            dir = Files.createTempDirectory("distlock-bench-redis-");
        } catch (IOException e) {
            throw new IllegalStateException("no temporary directory for redis-server", e);
        }
        int port = freePort();
        List<String> command = List.of("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no",
                "--logfile", dir.resolve("redis.log").toString());
        Process process;
        try {
            process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("stdout.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start redis-server (the Redis benchmarks need redis-server "
                    + "on the PATH, e.g. 'apt-get install redis-server'): " + command, e);
        }
        RedisProcess server = new RedisProcess(dir, port, process);
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (server.info("server").isEmpty()) {
            if (!process.isAlive() || System.nanoTime() - deadline > 0) {
                server.close();
                throw new IllegalStateException("redis-server on port " + port + " did not start");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                server.close();
                throw new IllegalStateException("interrupted while starting redis-server", e);
            }
        }
        return server;
    }

    String address() {
        return "redis://127.0.0.1:" + port;
    }

    /** {@code INFO section} as a raw RESP exchange, or "" if the server does not answer. */
    String info(String section) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(("INFO " + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            StringBuilder header = new StringBuilder();
            int c;
            while ((c = in.read()) != -1 && c != '\n') {
                header.append((char) c);
            }
            if (header.length() == 0 || header.charAt(0) != '$') {
                return "";
            }
            int length = Integer.parseInt(header.substring(1).trim());
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        } catch (IOException | NumberFormatException e) {
            return "";
        }
    }

    /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the server process; returns once it was sent. */
    void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling redis-server", e);
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
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A leftover temporary directory is untidy but harmless.
        }
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
