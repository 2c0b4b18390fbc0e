package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A quick latency comparison, not a benchmark and not a test: distlock's acquire+release and fail-fast against
 * {@code IMap.tryLock/unlock} on the same member, embedded and through a client. Run from the test class path:
 * {@code java -cp ... io.distlock.hazelcast.LatencyCheck [iterations]}. Prints microseconds per operation.
 */
public final class LatencyCheck {

    private LatencyCheck() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5000;
        try (TestCluster cluster = TestCluster.start("latency", args.length > 1 ? Integer.parseInt(args[1]) : 1)) {
            HazelcastInstance member = cluster.member(0);
            HazelcastInstance client = cluster.newClient();
            // The plain client acks backups through the owner too, as the manager's own client does.
            run("embedded", member, member, iterations);
            run("client", client, cluster.newClient(), iterations);
        }
    }

    private static void run(String label, HazelcastInstance instance, HazelcastInstance other, int iterations)
            throws Exception {
        LockSettings settings = LockSettings.defaults();
        try (LockManager manager = HazelcastLockManager.builder().instance(instance).settings(settings).build();
             LockManager contender = HazelcastLockManager.builder().instance(other).settings(settings).build()) {
            IMap<String, String> map = instance.getMap("latency.imap");
            for (int round = 0; round < 2; round++) {
                // Round 0 warms up; round 1 is reported.
                double[] ours = time(iterations, i -> {
                    try (LockHandle h = manager.tryLock("k" + (i % 64)).orElseThrow()) {
                        h.fencingToken();
                    }
                });
                double[] theirs = time(iterations, i -> {
                    String key = "k" + (i % 64);
                    if (!map.tryLock(key)) {
                        throw new IllegalStateException("not free");
                    }
                    map.unlock(key);
                });
                LockHandle held = manager.tryLock("held").orElseThrow();
                double[] oursBusy = time(iterations, i -> {
                    if (contender.tryLock("held").isPresent()) {
                        throw new IllegalStateException("double grant");
                    }
                });
                held.close();
                IMap<String, String> otherMap = other.getMap("latency.imap");
                CountDownLatch locked = new CountDownLatch(1);
                CountDownLatch done = new CountDownLatch(1);
                Thread holder = new Thread(() -> {
                    otherMap.lock("held");
                    locked.countDown();
                    try {
                        done.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    otherMap.unlock("held");
                });
                holder.start();
                locked.await();
                double[] theirsBusy = time(iterations, i -> {
                    if (map.tryLock("held")) {
                        throw new IllegalStateException("double grant");
                    }
                });
                done.countDown();
                holder.join();
                if (round == 1) {
                    System.out.printf("%-8s acquire+release: distlock %s | IMap.tryLock+unlock %s%n", label,
                            summary(ours), summary(theirs));
                    System.out.printf("%-8s fail-fast (held): distlock %s | IMap.tryLock          %s%n", label,
                            summary(oursBusy), summary(theirsBusy));
                }
            }
        }
    }

    private static String summary(double[] micros) {
        Arrays.sort(micros);
        double sum = 0;
        for (double m : micros) {
            sum += m;
        }
        return String.format("mean %6.1f p50 %6.1f p99 %7.1f us", sum / micros.length,
                micros[micros.length / 2], micros[(int) (micros.length * 0.99)]);
    }

    private static double[] time(int iterations, Op op) throws Exception {
        double[] micros = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            op.run(i);
            micros[i] = TimeUnit.NANOSECONDS.toNanos(System.nanoTime() - start) / 1000.0;
        }
        return micros;
    }

    @FunctionalInterface
    private interface Op {
        void run(int i) throws Exception;
    }
}
