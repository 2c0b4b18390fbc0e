package io.distlock.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the benchmarks compiling and running: one short in-process iteration of the in-process backend's
 * benchmarks, one of a single real-backend benchmark, and the report built from them. Latencies are not checked: a
 * 100 ms iteration measures nothing. Request counts are: they do not depend on timing.
 */
class BenchmarkSmokeTest {

    @Test
    void localBenchmarksRunAndReportRatios() throws Exception {
        List<BenchmarkReport.Row> latency = BenchmarkReport.measureLatency("Local", true);
        List<BenchmarkReport.Row> throughput = new ArrayList<>(
                BenchmarkReport.measureThroughput("Local", true));
        assertThat(latency).extracting(BenchmarkReport.Row::path)
                .contains("acquireRelease", "failFastElsewhere", "failFastSameManager");
        assertThat(throughput).isNotEmpty();
        String report = BenchmarkReport.render(latency, throughput, "--quick");
        assertThat(report).contains("| Local | acquireRelease | map |").contains("distlock / this");
    }

    /**
     * One real backend, one benchmark (CI budget): a private redis-server starts and stops, and a tryLock on a key
     * the same manager holds sends nothing to it (a background ping or renewal in the iteration would be a few
     * requests against tens of thousands of operations).
     */
    @Test
    void redisSameManagerFailFastRunsAndSendsNoRequests() throws Exception {
        List<BenchmarkReport.Row> rows = BenchmarkReport.measureLatency("Redis", "failFastSameManager_distlock", true);
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.backend()).isEqualTo("Redis");
            assertThat(row.requestsPerOp()).isBetween(0.0, 0.01);
        });
    }

    @Test
    void handWrittenNotesBelowTheMarkerSurviveTheNextRun() {
        String first = BenchmarkReport.withNotes("# Benchmarks\nold tables\n", "");
        assertThat(first).contains(BenchmarkReport.NOTES_MARKER).contains("Reading the numbers");
        String edited = first.replace("(to be written by hand)", "Redis meets its targets because ...");
        String second = BenchmarkReport.withNotes("# Benchmarks\nnew tables\n", edited);
        assertThat(second).startsWith("# Benchmarks\nnew tables\n").doesNotContain("old tables")
                .endsWith("Redis meets its targets because ...\n");
        assertThat(second.split(java.util.regex.Pattern.quote(BenchmarkReport.NOTES_MARKER), -1)).hasSize(2);
    }
}
