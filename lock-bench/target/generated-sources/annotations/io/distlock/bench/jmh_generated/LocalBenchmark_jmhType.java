package io.distlock.bench.jmh_generated;
public class LocalBenchmark_jmhType extends LocalBenchmark_jmhType_B3 {
}

