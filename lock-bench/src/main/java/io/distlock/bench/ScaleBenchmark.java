package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.redis.RedisLockManager;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The cost of holding many locks: one manager (or one Redisson client) holds N locks with a 3 s lease for a while,
 * and the run reports what that costs the server and the client, for distlock and for Redisson's RLock with
 * {@code lockWatchdogTimeout} = lease, in the same JVM, each on a fresh private {@code redis-server}:
 * <ul>
 *   <li>script calls per second (EVAL/EVALSHA, counted by the server's {@code INFO commandstats}) over a window
 *       that starts after the first renewals, i.e. the renewal traffic of N held locks;</li>
 *   <li>client CPU (this process, all threads, as a percentage of one core) over the same window;</li>
 *   <li>heap bytes per held lock (live heap after GC, once the first renewals have run, minus before);</li>
 *   <li>time to acquire and to release all N, one after another on one thread;</li>
 *   <li>how many locks were lost by the end of the window (distlock: handles not held; RLock: unlock found it
 *       expired); both should be 0.</li>
 * </ul>
 * plus the server's time spent in those scripts (the {@code usec} of the same statistics), a figure the batch size
 * trades against. Not a JMH benchmark: one measurement per N, a scenario of tens of seconds, after one unmeasured
 * warm-up round of both (5,000 locks) so that neither pays the JIT in its window. Arguments:
 * {@code [--window SECONDS] [--settle SECONDS] [--forks N] [--batch LOCKS] [--only IMPL] [--no-warmup] [--out FILE] N...} (default N: 1000 10000; window 9 s;
 * {@code --forks N} runs everything in N fresh JVMs and reports the medians; {@code --batch} sets distlock's
 * renewal batch size; {@code --only distlock|rlock} measures one, for a profiler; {@code --settle} is the time
 * between the last acquisition and the window, default 20 s, so that the window sees the steady state; a window of
 * 30 s is ten leases).
 */
public final class ScaleBenchmark {

    static final Duration LEASE = Duration.ofSeconds(3);
    /** Seconds between the last acquisition and the window ({@code --settle S}): renewals running, JIT done. */
    static long settleSeconds = 20;
    /** distlock's renewal batch size ({@code --batch N}); 0 for the backend's default. */
    private static int batchSize;

    /** What one implementation cost at one N. */
    record Result(String impl, int n, double scriptsPerSecond, double commandsPerSecond,
                  double serverMillisPerSecond, double cpuPercent, double bytesPerLock, double acquireSeconds,
                  double releaseSeconds, long lost) {

        /** One line of a child JVM's output ({@code --forks}), read back by {@link #parse}. */
        String line() {
            return String.format(Locale.ROOT, "RESULT %s %d %f %f %f %f %f %f %f %d", impl, n, scriptsPerSecond,
                    commandsPerSecond, serverMillisPerSecond, cpuPercent, bytesPerLock, acquireSeconds,
                    releaseSeconds, lost);
        }

        static Result parse(String line) {
            String[] f = line.trim().split(" ");
            return new Result(f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                    Double.parseDouble(f[5]), Double.parseDouble(f[6]), Double.parseDouble(f[7]),
                    Double.parseDouble(f[8]), Double.parseDouble(f[9]), Long.parseLong(f[10]));
        }
    }

    private ScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long windowSeconds = 9;
        Path out = null;
        int forks = 0;
        boolean child = false;
        boolean warmUp = true;
        List<String> impls = List.of("distlock", "rlock");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--window" -> windowSeconds = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--forks" -> forks = Integer.parseInt(args[++i]);
                case "--no-warmup" -> warmUp = false;
                case "--batch" -> batchSize = Integer.parseInt(args[++i]);
                case "--settle" -> settleSeconds = Long.parseLong(args[++i]);
                case "--only" -> impls = List.of(args[++i]);
                case "--child" -> child = true;
                default -> sizes.add(Integer.parseInt(args[i].replace(",", "").replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1_000, 10_000);
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<Result> results = new ArrayList<>();
        if (forks > 0) {
            results = forked(forks, sizes, windowSeconds, warmUp);
        } else {
            if (warmUp) {
                warmUp();
            }
            for (int n : sizes) {
                for (String impl : impls) {
                    Result result = measure(impl, n, windowSeconds);
                    System.err.println(result);
                    if (child) {
                        System.out.println(result.line());
                    }
                    results.add(result);
                }
            }
        }
        if (child) {
            return;
        }
        String report = render(results, load, windowSeconds) + (forks > 0 ? String.format(Locale.ROOT,
                "%nMedians of %d JVM forks, each warmed up as above.%n", forks) : "");
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report);
        }
    }

    /**
     * Both implementations once, unmeasured, with 5,000 locks for a 6 s window: otherwise whichever runs first pays
     * the JIT compilation of the whole client stack (Redisson, netty) inside its CPU window, which was measured to
     * triple its CPU figure.
     */
    private static void warmUp() throws Exception {
        System.err.println("warming up (not measured)…");
        for (String impl : List.of("distlock", "rlock")) {
            long settle = settleSeconds;
            settleSeconds = 0;
            try {
                measure(impl, 5_000, 6);
            } finally {
                settleSeconds = settle;
            }
        }
    }

    /** Runs the whole measurement in {@code forks} fresh JVMs, one after another, and keeps each figure's median. */
    private static List<Result> forked(int forks, List<Integer> sizes, long windowSeconds, boolean warmUp)
            throws Exception {
        List<List<Result>> runs = new ArrayList<>();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int fork = 0; fork < forks; fork++) {
            List<String> command = new ArrayList<>(List.of(java, "-Xmx4g", "-cp",
                    System.getProperty("java.class.path"), ScaleBenchmark.class.getName(), "--child", "--window",
                    Long.toString(windowSeconds)));
            if (!warmUp) {
                command.add("--no-warmup");
            }
            command.add("--settle");
            command.add(Long.toString(settleSeconds));
            if (batchSize > 0) {
                command.add("--batch");
                command.add(Integer.toString(batchSize));
            }
            sizes.forEach(n -> command.add(Integer.toString(n)));
            System.err.printf(Locale.ROOT, "fork %d of %d…%n", fork + 1, forks);
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            List<Result> run = new ArrayList<>();
            try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream()))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("RESULT ")) {
                        run.add(Result.parse(line));
                    }
                }
            }
            if (process.waitFor() != 0 || run.size() != 2 * sizes.size()) {
                throw new IllegalStateException("fork " + (fork + 1) + " failed (exit " + process.exitValue() + ")");
            }
            runs.add(run);
        }
        List<Result> medians = new ArrayList<>();
        for (int i = 0; i < runs.get(0).size(); i++) {
            int at = i;
            List<Result> same = runs.stream().map(run -> run.get(at)).toList();
            Result first = same.get(0);
            medians.add(new Result(first.impl(), first.n(), median(same, Result::scriptsPerSecond),
                    median(same, Result::commandsPerSecond), median(same, Result::serverMillisPerSecond),
                    median(same, Result::cpuPercent), median(same, Result::bytesPerLock),
                    median(same, Result::acquireSeconds), median(same, Result::releaseSeconds),
                    same.stream().mapToLong(Result::lost).max().orElse(0)));
        }
        return medians;
    }

    private static double median(List<Result> results, java.util.function.ToDoubleFunction<Result> figure) {
        double[] values = results.stream().mapToDouble(figure).sorted().toArray();
        int mid = values.length / 2;
        return values.length % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    static Result measure(String impl, int n, long windowSeconds) throws Exception {
        System.err.printf(Locale.ROOT, "%s: %,d locks…%n", impl, n);
        try (RedisProcess server = RedisProcess.start()) {
            RedissonClient client = client(server);
            RedisLockManager.Builder builder = RedisLockManager.builder().client(client);
            if (batchSize > 0) {
                builder.renewalBatchSize(batchSize);
            }
            LockManager manager = impl.equals("distlock") ? builder
                    .settings(LockSettings.defaults().withLease(LEASE).withOperationTimeout(Duration.ofSeconds(1)))
                    .build() : null;
            try {
                long heapBefore = liveHeap();
                List<LockHandle> handles = new ArrayList<>(manager != null ? n : 0);
                List<RLock> rlocks = new ArrayList<>(manager == null ? n : 0);
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    String key = "scale:" + i;
                    if (manager != null) {
                        handles.add(acquire(manager, key));
                    } else {
                        RLock lock = client.getLock(key);
                        if (!lock.tryLock()) {
                            throw new IllegalStateException(key);
                        }
                        rlocks.add(lock);
                    }
                }
                double acquireSeconds = (System.nanoTime() - start) / 1e9;
                // Let the first renewals of everything pass (a third of the lease, plus slack for a loaded machine),
                // and the JIT finish compiling the renewal path: distlock's runs a few dozen times a second, so
                // without a settle its compilation fell into the window (1.2 s of compiler time in a 30 s window
                // whose whole CPU was 1.8 s).
                Thread.sleep(Math.max(LEASE.toMillis() / 3 + 1500, TimeUnit.SECONDS.toMillis(settleSeconds)));
                // After the first renewals, not right after the acquisitions: what a held lock costs includes what
                // its renewal keeps (distlock prepares each lock's renewal once, at its first renewal).
                long heapHeld = liveHeap();
                Map<String, Long> statsBefore = commandStats(server);
                long cpuBefore = processCpuNanos();
                long windowStart = System.nanoTime();
                Thread.sleep(TimeUnit.SECONDS.toMillis(windowSeconds));
                long cpu = processCpuNanos() - cpuBefore;
                double window = (System.nanoTime() - windowStart) / 1e9;
                Map<String, Long> statsAfter = commandStats(server);
                long lost = handles.stream().filter(h -> !h.isHeld()).count();
                start = System.nanoTime();
                handles.forEach(LockHandle::close);
                for (RLock lock : rlocks) {
                    try {
                        lock.unlock();
                    } catch (IllegalMonitorStateException e) {
                        // Expired: the watchdog did not renew it in time. Counted, as distlock's losses are.
                        lost++;
                    }
                }
                double releaseSeconds = (System.nanoTime() - start) / 1e9;
                long scripts = delta(statsBefore, statsAfter, "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall");
                long scriptMicros = delta(micros(statsBefore), micros(statsAfter), "eval", "evalsha", "eval_ro",
                        "evalsha_ro", "fcall");
                long commands = calls(statsAfter) - calls(statsBefore) - 1;
                return new Result(impl, n, scripts / window, commands / window, scriptMicros / 1e3 / window,
                        100.0 * cpu / 1e9 / window,
                        (double) (heapHeld - heapBefore) / n, acquireSeconds, releaseSeconds, lost);
            } finally {
                if (manager != null) {
                    manager.close();
                }
                client.shutdown();
            }
        }
    }

    /**
     * One acquisition, tried again (a few times) if it timed out: on a machine loaded far beyond its cores the first
     * calls of a cold JVM were seen to take longer than the 1 s timeout. A timed-out attempt is released by the
     * manager in the background, so the retry finds the key free again.
     */
    private static LockHandle acquire(LockManager manager, String key) throws InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                java.util.Optional<LockHandle> handle = manager.tryLock(key);
                if (handle.isPresent()) {
                    return handle.get();
                }
                if (attempt == 1) {
                    throw new IllegalStateException(key + " is held by someone else");
                }
                // A timed-out attempt that the server did run: held until the background release frees it.
            } catch (io.distlock.LockBackendException e) {
                System.err.println("retrying " + key + ": " + e.getMessage());
            }
            if (attempt == 10) {
                throw new IllegalStateException("could not acquire " + key + " in 10 attempts");
            }
            Thread.sleep(200);
        }
    }

    private static RedissonClient client(RedisProcess server) {
        Config config = new Config();
        config.setCodec(StringCodec.INSTANCE);
        // Redisson's watchdog renews at a third of this, as distlock renews at a third of its lease.
        config.setLockWatchdogTimeout(LEASE.toMillis());
        // Redisson's own timeout only bounds its calls (distlock's are bounded by the manager's 1 s); generous for a
        // loaded machine, where a first PING was seen to take over a second.
        config.useSingleServer().setAddress(server.address()).setTimeout(3000).setRetryAttempts(0);
        return Redisson.create(config);
    }

    private static long delta(Map<String, Long> before, Map<String, Long> after, String... commands) {
        long sum = 0;
        for (String command : commands) {
            sum += after.getOrDefault(command, 0L) - before.getOrDefault(command, 0L);
        }
        return sum;
    }

    /** The calls of all commands in {@link #commandStats}. */
    private static long calls(Map<String, Long> stats) {
        return stats.entrySet().stream().filter(e -> !e.getKey().endsWith("#usec")).mapToLong(Map.Entry::getValue)
                .sum();
    }

    /** The server time of each command in {@link #commandStats}, by command name. */
    private static Map<String, Long> micros(Map<String, Long> stats) {
        Map<String, Long> micros = new TreeMap<>();
        stats.forEach((name, value) -> {
            if (name.endsWith("#usec")) {
                micros.put(name.substring(0, name.length() - "#usec".length()), value);
            }
        });
        return micros;
    }

    /**
     * Calls per command ({@code cmdstat_NAME:calls=N,usec=U,...}) from {@code INFO commandstats}, and the server's
     * microseconds in it under {@code NAME#usec}.
     */
    private static Map<String, Long> commandStats(RedisProcess server) throws IOException {
        String info = server.info("commandstats");
        if (info.isEmpty()) {
            throw new IOException("redis-server did not answer INFO commandstats");
        }
        Map<String, Long> calls = new TreeMap<>();
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("cmdstat_")) {
                String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                int at = line.indexOf("calls=") + "calls=".length();
                int end = line.indexOf(',', at);
                calls.put(name, Long.parseLong(line.substring(at, end < 0 ? line.length() : end)));
                int usec = line.indexOf("usec=");
                if (usec >= 0) {
                    int usecEnd = line.indexOf(',', usec);
                    calls.put(name + "#usec", Long.parseLong(line.substring(usec + "usec=".length(),
                            usecEnd < 0 ? line.length() : usecEnd)));
                }
            }
        }
        return calls;
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

    static String render(List<Result> results, double load, long windowSeconds) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Redis %s on loopback, lease %d s, one manager / one Redisson client, "
                        + "%d s window starting " + settleSeconds + " s after the last acquisition; 1-minute load average at start %.1f on %d cores.%n%n",
                serverVersion(), LEASE.toSeconds(), windowSeconds, load,
                Runtime.getRuntime().availableProcessors()));
        md.append("| held locks | impl | scripts/s (server) | all commands/s (server) | server ms/s in scripts "
                + "| client CPU (% of a core) | heap B/lock | acquire all (s) | release all (s) | lost |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            md.append(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %,.0f | %.1f | %.1f | %,.0f | %.2f | %.2f "
                    + "| %s |%n", r.n(), r.impl(), r.scriptsPerSecond(), r.commandsPerSecond(),
                    r.serverMillisPerSecond(), r.cpuPercent(), r.bytesPerLock(), r.acquireSeconds(),
                    r.releaseSeconds(), r.lost()));
        }
        md.append("\nRatios distlock / RLock:\n\n| held locks | scripts/s | server ms/s | client CPU | heap/lock "
                + "| acquire all | release all |\n|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int i = 0; i + 1 < results.size(); i += 2) {
            Result d = results.get(i);
            Result r = results.get(i + 1);
            md.append(String.format(Locale.ROOT, "| %,d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", d.n(),
                    d.scriptsPerSecond() / r.scriptsPerSecond(),
                    d.serverMillisPerSecond() / r.serverMillisPerSecond(), d.cpuPercent() / r.cpuPercent(),
                    d.bytesPerLock() / r.bytesPerLock(), d.acquireSeconds() / r.acquireSeconds(),
                    d.releaseSeconds() / r.releaseSeconds()));
        }
        return md.toString();
    }

    private static String serverVersion() {
        try {
            Process p = new ProcessBuilder("redis-server", "--version").redirectErrorStream(true).start();
            String version = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(5, TimeUnit.SECONDS);
            int at = version.indexOf("v=");
            return at < 0 ? version : version.substring(at + 2, version.indexOf(' ', at));
        } catch (IOException | InterruptedException e) {
            return "(version unknown)";
        }
    }
}
