package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.zookeeper.ZooKeeperLockManager;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.client.FourLetterWordMain;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The cost of holding many ZooKeeper locks: one manager (or one Curator client with {@link InterProcessMutex}) holds
 * N locks with a 3 s lease for a while, and the run reports what that costs, for distlock and for InterProcessMutex,
 * each on a fresh standalone ZooKeeper server in its own JVM (so that the client's CPU is this process's alone):
 * <ul>
 *   <li>requests per second the server received ({@code zk_packets_received} of the {@code mntr} four-letter word,
 *       pings included) over a window that starts after the first checks, i.e. the traffic of N held locks;</li>
 *   <li>client and server CPU (as a percentage of one core) over the same window;</li>
 *   <li>heap bytes per held lock (live heap after GC, held minus before);</li>
 *   <li>time to acquire and to release all N, one after another on one thread;</li>
 *   <li>how many locks were lost by the end of the window (distlock: handles not held); 0 expected.</li>
 * </ul>
 * InterProcessMutex sends nothing per held lock (the session is its lease, and it never checks); distlock checks its
 * held nodes every third of the lease so that {@code isHeld()} follows a local deadline. Not a JMH benchmark: one
 * measurement per N. Arguments: {@code [--window SECONDS] [--out FILE] [--only distlock|mutex] N...} (default N:
 * 1000 10000; window 9 s).
 */
public final class ZooKeeperScaleBenchmark {

    static final Duration LEASE = Duration.ofSeconds(3);

    /** What one implementation cost at one N. */
    record Result(String impl, int n, double requestsPerSecond, double cpuPercent, double serverCpuPercent,
                  double bytesPerLock, double acquireSeconds, double releaseSeconds, long lost) {
    }

    private ZooKeeperScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long windowSeconds = 9;
        Path out = null;
        List<String> impls = List.of("distlock", "mutex");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--window" -> windowSeconds = Long.parseLong(args[++i]);
                case "--only" -> impls = List.of(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> sizes.add(Integer.parseInt(args[i].replace(",", "").replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1_000, 10_000);
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<Result> results = new ArrayList<>();
        for (int n : sizes) {
            for (String impl : impls) {
                Result result = measure(impl, n, windowSeconds);
                System.err.println(result);
                results.add(result);
            }
        }
        String report = render(results, load, windowSeconds);
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report);
        }
    }

    static Result measure(String impl, int n, long windowSeconds) throws Exception {
        System.err.printf(Locale.ROOT, "%s: %,d locks…%n", impl, n);
        try (ZooKeeperProcess server = ZooKeeperProcess.start()) {
            CuratorFramework client = CuratorFrameworkFactory.builder().connectString(server.connectString())
                    .sessionTimeoutMs((int) LEASE.toMillis()).connectionTimeoutMs(5_000)
                    .retryPolicy(new RetryNTimes(3, 100)).simulatedSessionExpirationPercent(30).build();
            client.start();
            if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no connection to " + server.connectString());
            }
            LockManager manager = impl.equals("distlock") ? ZooKeeperLockManager.builder().client(client)
                    .namespace("scale").settings(LockSettings.defaults().withLease(LEASE)
                            .withOperationTimeout(Duration.ofSeconds(1))).build() : null;
            try {
                long heapBefore = liveHeap();
                List<LockHandle> handles = new ArrayList<>(manager != null ? n : 0);
                List<InterProcessMutex> mutexes = new ArrayList<>(manager == null ? n : 0);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String key = "scale-" + i;
                    if (manager != null) {
                        handles.add(manager.tryLock(key).orElseThrow(() -> new IllegalStateException(key)));
                    } else {
                        InterProcessMutex mutex = new InterProcessMutex(client, "/mutex/" + key);
                        if (!mutex.acquire(5, TimeUnit.SECONDS)) {
                            throw new IllegalStateException(key);
                        }
                        mutexes.add(mutex);
                    }
                }
                double acquireSeconds = (System.nanoTime() - start) / 1e9;
                long heapHeld = liveHeap();
                // Let the first checks of everything pass (a third of the lease, plus slack for a loaded machine).
                Thread.sleep(LEASE.toMillis() / 3 + 1500);
                long packetsBefore = server.packetsReceived();
                long cpuBefore = processCpuNanos();
                long serverCpuBefore = server.cpuNanos();
                long windowStart = System.nanoTime();
                Thread.sleep(TimeUnit.SECONDS.toMillis(windowSeconds));
                long cpu = processCpuNanos() - cpuBefore;
                long serverCpu = server.cpuNanos() - serverCpuBefore;
                double window = (System.nanoTime() - windowStart) / 1e9;
                // One mntr is one packet too.
                long packets = server.packetsReceived() - packetsBefore - 1;
                long lost = handles.stream().filter(h -> !h.isHeld()).count();
                start = System.nanoTime();
                handles.forEach(LockHandle::close);
                for (InterProcessMutex mutex : mutexes) {
                    mutex.release();
                }
                double releaseSeconds = (System.nanoTime() - start) / 1e9;
                return new Result(impl, n, packets / window, 100.0 * cpu / 1e9 / window,
                        100.0 * serverCpu / 1e9 / window, (double) (heapHeld - heapBefore) / n, acquireSeconds,
                        releaseSeconds, lost);
            } finally {
                if (manager != null) {
                    manager.close();
                }
                client.close();
            }
        }
    }

    /** A standalone ZooKeeper server in a child JVM on 127.0.0.1 (this class path), deleted when closed. */
    static final class ZooKeeperProcess implements AutoCloseable {
        private final Process process;
        private final Path dir;
        private final int port;

        private ZooKeeperProcess(Process process, Path dir, int port) {
            this.process = process;
            this.dir = dir;
            this.port = port;
        }

        static ZooKeeperProcess start() throws IOException, InterruptedException {
            Path dir = Files.createTempDirectory("distlock-zk-scale");
            int port;
            try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = socket.getLocalPort();
            }
            // tickTime 500 ms: sessions of 1 s to 10 s are allowed, so the 3 s lease is the session timeout.
            Path config = dir.resolve("zoo.cfg");
            Files.writeString(config, String.join("\n", "tickTime=500", "dataDir=" + dir.resolve("data"),
                    "clientPort=" + port, "clientPortAddress=127.0.0.1", "maxClientCnxns=0",
                    "4lw.commands.whitelist=mntr,srvr", "admin.enableServer=false", ""));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process process = new ProcessBuilder(java, "-Xmx1g", "-Dzookeeper.admin.enableServer=false",
                    "-Dzookeeper.4lw.commands.whitelist=mntr,srvr", "-cp", System.getProperty("java.class.path"),
                    "org.apache.zookeeper.server.ZooKeeperServerMain", config.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
            ZooKeeperProcess server = new ZooKeeperProcess(process, dir, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    server.packetsReceived();
                    return server;
                } catch (IllegalStateException e) {
                    if (!process.isAlive() || System.nanoTime() > deadline) {
                        server.close();
                        throw new IOException("ZooKeeper did not start; see " + dir.resolve("server.log"), e);
                    }
                    Thread.sleep(200);
                }
            }
        }

        String connectString() {
            return "127.0.0.1:" + port;
        }

        /** {@code zk_packets_received} of {@code mntr}: every request the server received, pings included. */
        long packetsReceived() {
            try {
                String stats = FourLetterWordMain.send4LetterWord("127.0.0.1", port, "mntr");
                for (String line : stats.split("\n")) {
                    if (line.startsWith("zk_packets_received")) {
                        return Long.parseLong(line.substring("zk_packets_received".length()).trim());
                    }
                }
                throw new IllegalStateException("ZooKeeper's mntr gave no packet count: " + stats);
            } catch (IOException | org.apache.zookeeper.common.X509Exception.SSLContextException e) {
                throw new IllegalStateException("could not read ZooKeeper's statistics", e);
            }
        }

        long cpuNanos() {
            return process.toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
        }

        @Override
        public void close() throws IOException, InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Used heap after full collections; a few rounds, since one System.gc() may leave garbage behind. */
    private static long liveHeap() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static long impls(List<Result> results) {
        return results.stream().map(Result::impl).distinct().count();
    }

    static String render(List<Result> results, double load, long windowSeconds) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "ZooKeeper %s standalone on loopback (its own JVM), lease = session "
                        + "timeout %d s, one manager / one Curator client, %d s window after the first checks; "
                        + "1-minute load average at start %.1f on %d cores.%n%n",
                org.apache.zookeeper.Version.getFullVersion().split("[- ]")[0], LEASE.toSeconds(), windowSeconds,
                load, Runtime.getRuntime().availableProcessors()));
        md.append("| held locks | impl | requests/s (server) | client CPU (% of a core) | server CPU (% of a core) "
                + "| heap B/lock | acquire all (s) | release all (s) | lost |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            md.append(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %.1f | %.1f | %,.0f | %.2f | %.2f | %s |%n",
                    r.n(), r.impl(), r.requestsPerSecond(), r.cpuPercent(), r.serverCpuPercent(), r.bytesPerLock(),
                    r.acquireSeconds(), r.releaseSeconds(), r.lost()));
        }
        md.append("\nRatios distlock / InterProcessMutex:\n\n| held locks | requests/s | client CPU | server CPU "
                + "| heap/lock | acquire all | release all |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i + 1 < results.size() && impls(results) == 2; i += 2) {
            Result d = results.get(i);
            Result m = results.get(i + 1);
            md.append(String.format(Locale.ROOT, "| %,d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", d.n(),
                    d.requestsPerSecond() / m.requestsPerSecond(), d.cpuPercent() / m.cpuPercent(),
                    d.serverCpuPercent() / m.serverCpuPercent(), d.bytesPerLock() / m.bytesPerLock(),
                    d.acquireSeconds() / m.acquireSeconds(), d.releaseSeconds() / m.releaseSeconds()));
        }
        return md.toString();
    }
}
