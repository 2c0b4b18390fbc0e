package io.distlock.demo;

import java.util.Locale;

/** Formats the demo's results for people: a table of both runs, rejection latencies and a verdict. */
final class Report {

    private final boolean unicode;

    Report(boolean unicode) {
        this.unicode = unicode;
    }

    String format(DemoOptions options, String backend, DemoRunner.Results results) {
        RequestStream stream = results.stream();
        RunResult without = results.withoutLock();
        RunResult with = results.withDistlock();
        String micro = unicode ? "\u00b5s" : "us";
        StringBuilder out = new StringBuilder(2048);

        out.append("distlock demo: a \"bargain\" service must cut the price once per user per order\n\n");
        line(out, "backend", backend);
        line(out, "service", options.replicas() + (options.replicas() == 1 ? " replica" : " replicas") + " x "
                + options.threads() + " workers, each replica with its own LockManager; one shared price store");
        line(out, "traffic", stream.requests() + " requests, " + stream.duplicates() + " of them duplicates ("
                + percent(stream.duplicates(), stream.requests()) + "): " + stream.crossReplicaDuplicates()
                + " on another replica, " + stream.sameReplicaDuplicates() + " on the same replica");
        line(out, "", "a duplicate arrives within " + RequestStream.MAX_ARRIVAL_OFFSET_NANOS / 1000 + " " + micro
                + " of its original; each request reads the row, works 1-3 ms, writes it back");
        line(out, "seed", options.seed() + " (--seed " + options.seed() + " replays the same traffic)");
        out.append('\n');

        out.append(String.format(Locale.ROOT, "  %-32s %14s %15s%n", "", "without lock", "with distlock"));
        row(out, "requests", without.requests(), with.requests());
        row(out, "applied (cut granted)", without.applied(), with.applied());
        row(out, "rejected: already in progress", without.rejectedInProgress(), with.rejectedInProgress());
        row(out, "rejected: already applied", without.rejectedAlreadyDone(), with.rejectedAlreadyDone());
        if (without.failed() + with.failed() > 0) {
            row(out, "failed (backend error)", without.failed(), with.failed());
        }
        out.append(String.format(Locale.ROOT, "  %-32s %14d %15d   %s%n", "double-applied", without.doubleApplied(),
                with.doubleApplied(), "<- cuts granted twice"));
        out.append(String.format(Locale.ROOT, "  %-32s %14s %15s%n", "time", seconds(without), seconds(with)));
        out.append('\n');

        out.append("  how fast distlock turned a duplicate away (tryLock returned empty), in ").append(micro)
                .append('\n');
        out.append(String.format(Locale.ROOT, "  %-32s %14s %15s %8s%n", "", "p50", "p99", "count"));
        latency(out, "on the replica holding the lock", with.sameReplicaRejectNanos());
        latency(out, "on another replica", with.crossReplicaRejectNanos());
        long[] holds = with.appliedHoldNanos();
        if (holds.length > 0 && with.rejectedInProgress() > 0) {
            out.append(String.format(Locale.ROOT, "  tryLock never waits for the holder: the original held its lock "
                    + "for %.1f ms (p50)%n", RunResult.percentile(holds, 50) / 1e6));
        }
        out.append('\n');

        if (results.passed()) {
            out.append("  OK: with distlock, 0 double applications");
            if (stream.duplicates() > 0) {
                out.append("; every duplicate was turned away:\n      ").append(with.rejectedInProgress())
                        .append(" while the original was in progress, ").append(with.rejectedAlreadyDone())
                        .append(" after it had applied");
            }
            out.append(".\n");
            if (without.doubleApplied() > 0) {
                out.append("      Without a lock, ").append(without.doubleApplied())
                        .append(" cuts were granted twice for the same user and order.\n");
            }
        } else {
            out.append(failure(stream, with));
        }
        return out.toString();
    }

    /** The failure message for stderr and the report; empty when the demo passed. */
    static String failure(RequestStream stream, RunResult with) {
        StringBuilder out = new StringBuilder();
        if (with.doubleApplied() > 0) {
            out.append("  FAILED: with distlock, ").append(with.doubleApplied())
                    .append(" cuts were granted twice: the lock did not exclude duplicates.\n");
        }
        if (with.failed() > 0) {
            out.append("  FAILED: with distlock, ").append(with.failed()).append(" requests failed; first: ")
                    .append(with.firstFailure()).append('\n');
        }
        if (with.requests() < stream.requests()) {
            out.append("  FAILED: with distlock, only ").append(with.requests()).append(" of ")
                    .append(stream.requests()).append(" requests ran (stopped after ")
                    .append(BargainService.MAX_FAILURES).append(" failures).\n");
        }
        return out.toString();
    }

    private static void line(StringBuilder out, String name, String text) {
        out.append(String.format(Locale.ROOT, "  %-9s %s%n", name, text));
    }

    private static void row(StringBuilder out, String name, int without, int with) {
        out.append(String.format(Locale.ROOT, "  %-32s %14d %15d%n", name, without, with));
    }

    private static void latency(StringBuilder out, String name, long[] sortedNanos) {
        if (sortedNanos.length == 0) {
            out.append(String.format(Locale.ROOT, "  %-32s %14s %15s %8d%n", name, "-", "-", 0));
            return;
        }
        out.append(String.format(Locale.ROOT, "  %-32s %14s %15s %8d%n", name,
                micros(RunResult.percentile(sortedNanos, 50)), micros(RunResult.percentile(sortedNanos, 99)),
                sortedNanos.length));
    }

    private static String micros(long nanos) {
        return nanos < 100_000 ? String.format(Locale.ROOT, "%.1f", nanos / 1000.0)
                : String.format(Locale.ROOT, "%.0f", nanos / 1000.0);
    }

    private static String seconds(RunResult run) {
        return String.format(Locale.ROOT, "%.2f s", run.elapsed().toNanos() / 1e9);
    }

    private static String percent(int part, int whole) {
        return String.format(Locale.ROOT, "%.0f%%", whole == 0 ? 0.0 : 100.0 * part / whole);
    }
}
