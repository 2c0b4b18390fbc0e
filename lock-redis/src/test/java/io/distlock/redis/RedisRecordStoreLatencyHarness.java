package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.TokenOutcome;
import io.distlock.idempotency.spi.RecordStore;
import org.redisson.Redisson;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.config.Config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * A quick, single-threaded latency comparison of the Redis record store with the raw Redisson bucket calls it
 * stands for, and of the idempotency kit on top, on a private redis-server over loopback. Not a test and not
 * asserted: run by hand, e.g. {@code java -cp <test classpath> io.distlock.redis.RedisRecordStoreLatencyHarness}.
 */
public final class RedisRecordStoreLatencyHarness {

    private RedisRecordStoreLatencyHarness() {
    }

    @FunctionalInterface
    private interface Op {
        void run(int i) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        byte[] value = new byte[64];
        byte[] other = "other".getBytes(StandardCharsets.UTF_8);
        Duration ttl = Duration.ofMinutes(5);
        try (RedisServer server = RedisServer.start()) {
            Config config = new Config();
            config.useSingleServer().setAddress("redis://" + server.address()).setConnectionMinimumIdleSize(2)
                    .setTimeout(3000).setRetryAttempts(0);
            RedissonClient raw = Redisson.create(config);
            try (RecordStore store = RedisRecordStore.builder().address(server.address()).build();
                 LockManager locks = RedisLockManager.builder().address(server.address()).build()) {
                OneTimeTokens tokens = OneTimeTokens.on(store);
                IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
                for (int round = 0; round < 2; round++) {
                    boolean report = round == 1;
                    String r = "r" + round + ":";
                    measure(report, "store putIfAbsent (new key)", iterations,
                            i -> check(store.putIfAbsent(r + "s:" + i, value, ttl)));
                    measure(report, "RBucket setIfAbsent(v, ttl) (new key)", iterations,
                            i -> check(bucket(raw, r + "b:" + i).setIfAbsent(value, ttl)));
                    measure(report, "store get", iterations, i -> check(store.get(r + "s:" + i).isPresent()));
                    measure(report, "RBucket get", iterations, i -> check(bucket(raw, r + "b:" + i).get() != null));
                    measure(report, "store replace (matches)", iterations,
                            i -> check(store.replace(r + "s:" + i, value, other, ttl)));
                    measure(report, "RBucket compareAndSet (matches, no ttl)", iterations,
                            i -> check(bucket(raw, r + "b:" + i).compareAndSet(value, other)));
                    measure(report, "store remove (matches)", iterations, i -> check(store.remove(r + "s:" + i,
                            other)));
                    measure(report, "RBucket delete", iterations, i -> check(bucket(raw, r + "b:" + i).delete()));
                    measure(report, "tokens issue + consume", iterations, i -> {
                        String token = tokens.issue(r + "form", ttl);
                        check(tokens.consume(r + "form", token) == TokenOutcome.CONSUMED);
                    });
                    measure(report, "idempotency execute (first run)", iterations, i -> idempotency.execute(
                            r + "k:" + i, "body", ttl, ResultCodec.strings(), lock -> "ok"));
                    measure(report, "idempotency execute (replay)", iterations, i -> idempotency.execute(
                            r + "k:" + i, "body", ttl, ResultCodec.strings(), lock -> "again"));
                }
            } finally {
                raw.shutdown();
            }
        }
    }

    private static RBucket<byte[]> bucket(RedissonClient client, String name) {
        return client.getBucket(name, ByteArrayCodec.INSTANCE);
    }

    private static void check(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("unexpected result");
        }
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
