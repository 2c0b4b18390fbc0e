/**
 * JMH benchmarks of distlock's paths against the raw client primitives, run in one process against the same servers,
 * and {@link io.distlock.bench.BenchmarkReport}, which runs them and writes medians and ratios to
 * {@code docs/BENCHMARKS.md}.
 *
 * <p>Naming convention the report relies on: a benchmark method is called {@code <path>_<implementation>}, e.g.
 * {@code acquireRelease_distlock} and {@code acquireRelease_rlock}; the class's simple name minus
 * {@code Benchmark} is the backend. Each raw implementation is compared with {@code distlock} on the same path.
 */
package io.distlock.bench;
