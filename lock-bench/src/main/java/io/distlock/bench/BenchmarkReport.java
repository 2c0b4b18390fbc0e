package io.distlock.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs the benchmarks and writes {@code docs/BENCHMARKS.md}: per backend and path, the median and p99 latency of
 * distlock and of each raw primitive, allocation per operation, and the ratio distlock/raw; then throughput on
 * distinct keys with 1, 2 and 16 threads.
 *
 * <p>Arguments: {@code [--quick] [--out FILE] [REGEX]}. REGEX selects benchmark classes (default: all);
 * {@code --quick} makes one short iteration of each, in-process, to check that everything runs.
 */
public final class BenchmarkReport {

    /** One measured benchmark: backend, path, implementation, threads and numbers. */
    record Row(String backend, String path, String impl, int threads, double p50, double p99, double score,
               double bytesPerOp, double requestsPerOp, double waitsTimedOut) {
    }

    /**
     * The line that ends the generated part of {@code docs/BENCHMARKS.md}: whatever follows it in the existing file
     * (the hand-written reading of the numbers) is kept by the next run, below the new tables.
     */
    static final String NOTES_MARKER = "<!-- Generated above by ./bench; written by hand below, kept across runs. -->";

    /** The 1-minute load average when the run started, for the report's header. */
    private static String loadAtStart = "unknown";

    private BenchmarkReport() {
    }

    /** The CPU model from {@code /proc/cpuinfo}, or "CPU model unknown". */
    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the core count and OS still describe the machine roughly.
        }
        return "CPU model unknown";
    }

    /** The 1-minute load average from {@code /proc/loadavg}, or "unknown" where there is none. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("docs/BENCHMARKS.md");
        String include = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> include = args[i];
            }
        }
        loadAtStart = loadAverage();
        List<Row> latency = measureLatency(include, quick);
        List<Row> throughput = measureThroughput(include, quick);
        String report = render(latency, throughput, String.join(" ", args));
        System.out.println(report);
        if (!quick || args.length > 0 && List.of(args).contains("--out")) {
            Files.createDirectories(out.toAbsolutePath().getParent());
            write(out, report);
            System.out.println("written to " + out);
        }
    }

    /** JMH's include pattern for the benchmark methods {@code methods} of the classes whose name matches {@code classes}. */
    static String select(String classes, String methods) {
        return "^io\\.distlock\\.bench\\.[^.]*(" + classes + ")[^.]*Benchmark\\." + methods + "$";
    }

    static ChainedOptionsBuilder base(String include, boolean quick) {
        ChainedOptionsBuilder options = new OptionsBuilder().include(include).timeUnit(TimeUnit.MICROSECONDS);
        if (quick) {
            return options.forks(0).warmupIterations(0).measurementIterations(1)
                    .measurementTime(TimeValue.milliseconds(100));
        }
        return options.forks(1).warmupIterations(2).warmupTime(TimeValue.seconds(1)).measurementIterations(3)
                .measurementTime(TimeValue.seconds(2)).jvmArgsAppend("-Xms1g", "-Xmx1g",
                        // The openings Hazelcast asks for at startup (it warns without them, and works).
                        "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
                        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");
    }

    static List<Row> measureLatency(String include, boolean quick) throws RunnerException {
        return measureLatency(include, "[^.]+_.*", quick);
    }

    /** Single-thread latency of the benchmark methods matching {@code methods} of the classes matching {@code include}. */
    static List<Row> measureLatency(String include, String methods, boolean quick) throws RunnerException {
        ChainedOptionsBuilder options = base(select(include, methods), quick).mode(Mode.SampleTime).threads(1)
                .exclude(".*handoff_.*");
        if (!quick) {
            options.addProfiler(GCProfiler.class);
        }
        return run(options, quick, "latency");
    }

    /**
     * Runs the selection; a backend without benchmarks for a path simply has no rows for it. A full run goes on past
     * a failing benchmark (one stalled server must not cost the other results) and lists it under "Not measured";
     * a quick run stops at the first failure, so the smoke test fails.
     */
    private static List<Row> run(ChainedOptionsBuilder options, boolean quick, String what) throws RunnerException {
        Options built = options.shouldFailOnError(quick).build();
        Collection<RunResult> results;
        try {
            results = new Runner(built).run();
        } catch (NoBenchmarksException e) {
            return List.of();
        }
        Set<String> measured = new HashSet<>();
        results.forEach(r -> measured.add(r.getParams().getBenchmark()));
        for (BenchmarkListEntry entry : BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), built.getIncludes(),
                built.getExcludes())) {
            if (!measured.contains(entry.getUsername())) {
                NOT_MEASURED.add(entry.getUsername().replace("io.distlock.bench.", "") + " (" + what + ")");
            }
        }
        return rows(results);
    }

    /** Benchmarks of this run that failed, for the report. */
    private static final List<String> NOT_MEASURED = new ArrayList<>();

    static List<Row> measureThroughput(String include, boolean quick) throws RunnerException {
        List<Row> rows = new ArrayList<>();
        for (int threads : quick ? new int[] {2} : new int[] {1, 2, 16}) {
            rows.addAll(run(base(select(include, "acquireRelease_.*"), quick).mode(Mode.Throughput)
                    .timeUnit(TimeUnit.SECONDS).threads(threads), quick, "throughput, " + threads + " threads"));
        }
        rows.addAll(run(base(select(include, "handoff_.*"), quick).mode(Mode.Throughput)
                .timeUnit(TimeUnit.SECONDS).threads(2), quick, "hand-off"));
        return rows;
    }

    static List<Row> rows(Collection<RunResult> results) {
        List<Row> rows = new ArrayList<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String className = benchmark.substring(0, benchmark.lastIndexOf('.'));
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            String backend = className.substring(className.lastIndexOf('.') + 1).replace("Benchmark", "");
            int underscore = method.indexOf('_');
            String path = method.substring(0, underscore);
            String impl = method.substring(underscore + 1);
            Result<?> primary = result.getPrimaryResult();
            double p50 = primary.getStatistics().getPercentile(50);
            double p99 = primary.getStatistics().getPercentile(99);
            Result<?> alloc = result.getSecondaryResults().get("gc.alloc.rate.norm");
            Result<?> requests = result.getSecondaryResults().get("requests");
            Result<?> ops = result.getSecondaryResults().get("ops");
            double requestsPerOp = requests == null || ops == null || ops.getScore() <= 0 ? Double.NaN
                    : requests.getScore() / ops.getScore();
            Result<?> timedOut = result.getSecondaryResults().get("timedOut");
            rows.add(new Row(backend, path, impl, result.getParams().getThreads(), p50, p99, primary.getScore(),
                    alloc == null ? Double.NaN : alloc.getScore(), requestsPerOp,
                    timedOut == null ? Double.NaN : timedOut.getScore()));
        }
        rows.sort(Comparator.comparing(Row::backend).thenComparing(Row::path).thenComparing(Row::threads)
                .thenComparing(r -> r.impl().equals("distlock") ? "" : r.impl()));
        return rows;
    }

    static String render(List<Row> latency, List<Row> throughput, String arguments) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("Measured ").append(LocalDate.now()).append(" on ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores (").append(cpuModel()).append("), JDK ").append(System.getProperty("java.vm.name")).append(' ')
                .append(Runtime.version()).append(", ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch")).append(".\n");
        md.append("Servers: ").append(ServerVersions.describe()).append(".\n");
        md.append("Load average (1 min) at the start of the run: ").append(loadAtStart).append(", at the end: ")
                .append(loadAverage()).append(" (other processes share the cores; numbers from a loaded machine "
                        + "are noisier, ratios within one run less so).\n\n");
        md.append("Command: `./bench").append(arguments.isEmpty() ? "" : " " + arguments).append("`\n\n");
        md.append("## Latency (single thread): median and p99 in µs, allocation per operation, ratio of medians\n\n");
        md.append("Server req/op: requests (round trips) per operation, single thread. Counted by the server for "
                + "ZooKeeper (packets received) and Hazelcast (operations the member executed; an embedded call "
                + "is an operation too, without the network), by the client for Redis (whose statistics also count "
                + "the commands a Lua script runs). Includes background requests (renewals, pings), a handful per "
                + "iteration.\n\n");
        md.append("| backend | path | implementation | p50 µs | p99 µs | B/op | server req/op | distlock / this |\n");
        md.append("|---|---|---|---:|---:|---:|---:|---:|\n");
        Map<String, Row> distlock = new LinkedHashMap<>();
        for (Row row : latency) {
            if (row.impl().equals("distlock")) {
                distlock.put(row.backend() + "/" + row.path(), row);
            }
        }
        for (Row row : latency) {
            Row ours = distlock.get(row.backend() + "/" + row.path());
            String ratio = row.impl().equals("distlock") || ours == null ? "" : ratio(ours.p50(), row.p50());
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f | %s | %s | %s |%n", row.backend(),
                    row.path(), row.impl(), row.p50(), row.p99(),
                    Double.isNaN(row.bytesPerOp()) ? "" : String.format(Locale.ROOT, "%.0f", row.bytesPerOp()),
                    Double.isNaN(row.requestsPerOp()) ? ""
                            : String.format(Locale.ROOT, "%.2f", row.requestsPerOp()),
                    ratio));
        }
        md.append("\n## Throughput: operations per second, distinct keys per thread (handoff: one key, 2 threads)\n\n");
        md.append("Waits timed out: hand-off waits (10 s) that ended without the lock, per iteration: none of these "
                + "locks is fair, and a waiter can starve while the other thread re-takes the key.\n\n");
        md.append("| backend | path | threads | implementation | ops/s | this / distlock | waits timed out |\n");
        md.append("|---|---|---:|---|---:|---:|---:|\n");
        Map<String, Row> ours = new TreeMap<>();
        for (Row row : throughput) {
            if (row.impl().equals("distlock")) {
                ours.put(row.backend() + "/" + row.path() + "/" + row.threads(), row);
            }
        }
        for (Row row : throughput) {
            Row mine = ours.get(row.backend() + "/" + row.path() + "/" + row.threads());
            String ratio = row.impl().equals("distlock") || mine == null ? "" : ratio(row.score(), mine.score());
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %.0f | %s | %s |%n", row.backend(),
                    row.path(), row.threads(), row.impl(), row.score(), ratio,
                    Double.isNaN(row.waitsTimedOut()) ? "" : String.format(Locale.ROOT, "%.0f", row.waitsTimedOut())));
        }
        targets(md, latency, throughput);
        if (!NOT_MEASURED.isEmpty()) {
            md.append("\n## Not measured (the benchmark failed; the run's output has the exception)\n\n");
            NOT_MEASURED.forEach(name -> md.append("- ").append(name).append('\n'));
        }
        return md.toString();
    }

    /**
     * A target of issue 6: the ratio of distlock's median to a raw implementation's on a path ({@code maxRatio}), or
     * of its throughput with {@code threads} threads ({@code minRatio}).
     */
    record Target(String backend, String path, String raw, int threads, double bound, boolean atMost) {
        String describe() {
            return threads > 0
                    ? String.format(Locale.ROOT, "%s %s, %d threads: throughput ≥ %.2f× %s", backend, path, threads,
                            bound, raw)
                    : String.format(Locale.ROOT, "%s %s: median ≤ %.2f× %s", backend, path, bound, raw);
        }
    }

    static final List<Target> TARGETS = List.of(
            new Target("Redis", "acquireRelease", "rlock", 0, 0.9, true),
            new Target("Redis", "failFastElsewhere", "rlock", 0, 1.0, true),
            new Target("Redis", "acquireRelease", "rlock", 16, 1.0, false),
            new Target("ZooKeeper", "acquireRelease", "mutex", 0, 0.7, true),
            new Target("ZooKeeper", "failFastElsewhere", "mutex", 0, 0.35, true),
            new Target("Hazelcast", "acquireRelease", "imap", 0, 1.3, true),
            new Target("HazelcastClient", "acquireRelease", "imap", 0, 1.3, true),
            new Target("Etcd", "acquireRelease", "jetcdlock", 0, 0.5, true),
            new Target("Etcd", "failFastElsewhere", "txn", 0, 1.3, true));

    /** Same-manager fail-fast: at most this p99, and no requests to the server. */
    static final double SAME_MANAGER_P99_MICROS = 5.0;
    static final double SAME_MANAGER_MAX_REQUESTS_PER_OP = 0.01;

    /** Appends the targets of issue 6 that this run measured, each with the measured ratio and met / missed. */
    static void targets(StringBuilder md, List<Row> latency, List<Row> throughput) {
        List<String> lines = new ArrayList<>();
        for (Target target : TARGETS) {
            List<Row> rows = target.threads() > 0 ? throughput : latency;
            Row ours = find(rows, target.backend(), target.path(), "distlock", target.threads());
            Row raw = find(rows, target.backend(), target.path(), target.raw(), target.threads());
            if (ours == null || raw == null) {
                continue;
            }
            double measured = target.threads() > 0 ? ours.score() / raw.score() : ours.p50() / raw.p50();
            boolean met = target.atMost() ? measured <= target.bound() : measured >= target.bound();
            lines.add(String.format(Locale.ROOT, "| %s | %.2f | %s |", target.describe(), measured,
                    met ? "met" : "**missed**"));
        }
        for (Row row : latency) {
            if (row.path().equals("failFastSameManager") && row.impl().equals("distlock")) {
                boolean met = row.p99() <= SAME_MANAGER_P99_MICROS
                        && !(row.requestsPerOp() > SAME_MANAGER_MAX_REQUESTS_PER_OP);
                lines.add(String.format(Locale.ROOT, "| %s same-manager fail-fast: p99 ≤ %.0f µs, no requests "
                                + "| p99 %.2f µs, %s req/op | %s |", row.backend(), SAME_MANAGER_P99_MICROS,
                        row.p99(), Double.isNaN(row.requestsPerOp()) ? "n/a"
                                : String.format(Locale.ROOT, "%.2f", row.requestsPerOp()),
                        met ? "met" : "**missed**"));
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        md.append("\n## Targets\n\n| target | measured (distlock / raw) | |\n|---|---:|---|\n");
        lines.forEach(line -> md.append(line).append('\n'));
    }

    private static Row find(List<Row> rows, String backend, String path, String impl, int threads) {
        for (Row row : rows) {
            if (row.backend().equals(backend) && row.path().equals(path) && row.impl().equals(impl)
                    && (threads == 0 || row.threads() == threads)) {
                return row;
            }
        }
        return null;
    }

    private static String ratio(double numerator, double denominator) {
        return denominator > 0 ? String.format(Locale.ROOT, "%.2f", numerator / denominator) : "";
    }

    /**
     * Writes the report to {@code out}, followed by the marker line and the hand-written notes that followed the
     * marker in the existing file (or a placeholder for them).
     */
    static void write(Path out, String report) throws IOException {
        Files.writeString(out, withNotes(report, Files.exists(out) ? Files.readString(out) : ""));
    }

    /** The generated {@code report}, the marker, and the notes below the marker in {@code previous}. */
    static String withNotes(String report, String previous) {
        int marker = previous.indexOf(NOTES_MARKER);
        String notes = marker < 0 ? "\n## Reading the numbers\n\n(to be written by hand)\n"
                : previous.substring(marker + NOTES_MARKER.length());
        return report + "\n" + NOTES_MARKER + notes;
    }
}
