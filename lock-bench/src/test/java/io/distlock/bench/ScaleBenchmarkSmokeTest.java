package io.distlock.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the scale benchmark running: 20 locks each, a window of one lease (about 20 s in all), in which every lock is renewed. Nothing timed is
 * checked; that no lock was lost and that renewals reached the server are, since neither depends on speed here.
 */
class ScaleBenchmarkSmokeTest {

    @Test
    void bothImplementationsHoldTheirLocksAndTheReportHasRatios() throws Exception {
        // No settle: the window starts after the first renewals (the benchmark waits 20 s there for the JIT).
        ScaleBenchmark.settleSeconds = 0;
        ScaleBenchmark.Result distlock = ScaleBenchmark.measure("distlock", 20, 3);
        ScaleBenchmark.Result rlock = ScaleBenchmark.measure("rlock", 20, 3);
        for (ScaleBenchmark.Result result : List.of(distlock, rlock)) {
            assertThat(result.lost()).as(result.impl() + " lost locks").isZero();
            assertThat(result.scriptsPerSecond()).as(result.impl() + " renewed nothing").isPositive();
        }
        String report = ScaleBenchmark.render(List.of(distlock, rlock), 0, 3);
        assertThat(report).contains("| 20 | distlock |").contains("| 20 | rlock |").contains("Ratios distlock / RLock");
    }
}
