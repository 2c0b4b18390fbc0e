package io.distlock.demo;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo without its command line: replays one stream without a lock and with distlock on a deployment, after a
 * short warm-up (class loading, JIT, the backend's first connections) that is not reported, so the latencies show
 * the steady state a service would see.
 */
final class DemoRunner {

    /** Warm-up traffic: enough for the JIT to compile the lock path, short enough not to count. */
    static final int WARM_UP_REQUESTS = 600;

    /** What the demo found. */
    record Results(RequestStream stream, RunResult withoutLock, RunResult withDistlock) {

        /** The demo's verdict: distlock let no duplicate through, and nothing failed. */
        boolean passed() {
            return withDistlock.doubleApplied() == 0 && withDistlock.failed() == 0
                    && withDistlock.requests() == stream.requests();
        }
    }

    private DemoRunner() {
    }

    static Results run(DemoOptions options, Deployment deployment, Progress progress) throws InterruptedException {
        try (BargainService service = new BargainService(deployment, options.replicas(), options.threads())) {
            RequestStream warmUp = RequestStream.generate(Math.min(WARM_UP_REQUESTS, options.requests() * 2 + 10),
                    options.duplicateRate(), options.replicas(), ~options.seed(), 0.0);
            replay(service, warmUp, BargainService.Mode.WITH_DISTLOCK, progress, "warming up       ");

            RequestStream stream = RequestStream.generate(options.requests(), options.duplicateRate(),
                    options.replicas(), options.seed(), 1.0);
            RunResult without = replay(service, stream, BargainService.Mode.WITHOUT_LOCK, progress,
                    "1/2 without lock ");
            RunResult with = replay(service, stream, BargainService.Mode.WITH_DISTLOCK, progress,
                    "2/2 with distlock");
            return new Results(stream, without, with);
        }
    }

    @SuppressWarnings("try") // the bar draws itself while open; closing erases it
    private static RunResult replay(BargainService service, RequestStream stream, BargainService.Mode mode,
                                    Progress progress, String label) throws InterruptedException {
        AtomicInteger done = new AtomicInteger();
        try (Progress.Bar bar = progress.bar(label, stream.requests(), done)) {
            return service.replay(stream, mode, new PriceStore(), done);
        }
    }
}
