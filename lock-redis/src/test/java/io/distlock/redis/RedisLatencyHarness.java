package io.distlock.redis;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.redisson.Redisson;
import org.redisson.api.RFencedLock;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A quick, single-threaded latency comparison of distlock's Redis backend with Redisson's own RLock and RFencedLock on
 * a private redis-server over loopback. Not a test and not asserted (timing belongs to benchmarks): run by hand,
 * e.g. {@code java -cp <test classpath> io.distlock.redis.RedisLatencyHarness [iterations]}.
 */
public final class RedisLatencyHarness {

    private RedisLatencyHarness() {
    }

    @FunctionalInterface
    private interface Op {
        void run(int i) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        try (RedisServer server = RedisServer.start()) {
            LockSettings settings = LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(3));
            RedissonClient a = client(server);
            RedissonClient b = client(server);
            try (LockManager locks = RedisLockManager.builder().address(server.address()).settings(settings).build();
                 LockManager otherLocks = RedisLockManager.builder().address(server.address()).settings(settings)
                         .build()) {
                // Held elsewhere for the failed-attempt cases.
                LockHandle heldByOther = otherLocks.tryLock("bench:held").orElseThrow();
                RLock heldRLock = b.getLock("bench:rlock-held");
                heldRLock.lock();
                LockHandle heldHere = locks.tryLock("bench:held-here").orElseThrow();

                for (int round = 0; round < 2; round++) {
                    boolean report = round == 1;
                    measure(report, "distlock tryLock+close", iterations, i -> {
                        try (LockHandle h = locks.tryLock("bench:d:" + (i & 1023)).orElseThrow()) {
                            h.fencingToken();
                        }
                    });
                    measure(report, "RLock tryLock+unlock (watchdog)", iterations, i -> {
                        RLock lock = a.getLock("bench:r:" + (i & 1023));
                        if (!lock.tryLock()) {
                            throw new IllegalStateException();
                        }
                        lock.unlock();
                    });
                    measure(report, "RLock tryLock(0, 30s)+unlock", iterations, i -> {
                        RLock lock = a.getLock("bench:r2:" + (i & 1023));
                        if (!lock.tryLock(0, 30, TimeUnit.SECONDS)) {
                            throw new IllegalStateException();
                        }
                        lock.unlock();
                    });
                    measure(report, "RFencedLock tryLockAndGetToken+unlock", iterations, i -> {
                        RFencedLock lock = a.getFencedLock("bench:f:" + (i & 1023));
                        if (lock.tryLockAndGetToken() == null) {
                            throw new IllegalStateException();
                        }
                        lock.unlock();
                    });
                    measure(report, "distlock failed tryLock (held elsewhere)", iterations, i -> {
                        if (locks.tryLock("bench:held").isPresent()) {
                            throw new IllegalStateException();
                        }
                    });
                    measure(report, "RLock failed tryLock (held elsewhere)", iterations, i -> {
                        if (a.getLock("bench:rlock-held").tryLock()) {
                            throw new IllegalStateException();
                        }
                    });
                    measure(report, "distlock failed tryLock (held here)", iterations, i -> {
                        if (locks.tryLock("bench:held-here").isPresent()) {
                            throw new IllegalStateException();
                        }
                    });
                }
                heldHere.close();
                heldByOther.close();
                heldRLock.unlock();
            } finally {
                a.shutdown();
                b.shutdown();
            }
        }
    }

    private static RedissonClient client(RedisServer server) {
        Config config = new Config();
        config.useSingleServer().setAddress("redis://" + server.address()).setConnectionMinimumIdleSize(2)
                .setTimeout(3000).setRetryAttempts(0);
        return Redisson.create(config);
    }

    private static void measure(boolean report, String name, int iterations, Op op) throws Exception {
        long[] nanos = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            op.run(i);
            nanos[i] = System.nanoTime() - start;
        }
        if (report) {
            Arrays.sort(nanos);
            double mean = Arrays.stream(nanos).average().orElse(0) / 1000.0;
            System.out.printf(Locale.ROOT, "%-42s mean %7.1f us  p50 %7.1f us  p99 %7.1f us  (n=%d)%n", name, mean,
                    nanos[iterations / 2] / 1000.0, nanos[(int) (iterations * 0.99)] / 1000.0, iterations);
        }
    }
}
