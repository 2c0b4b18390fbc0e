package io.distlock.bench;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the benchmarks compiling and running: one short in-process iteration of the in-process backend's
 * benchmarks, and the report built from them. Numbers are not checked: a 100 ms iteration measures nothing.
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
}
