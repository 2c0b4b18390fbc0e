package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;
import org.apache.curator.test.TestingServer;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A quick latency comparison, not a test and not a benchmark (lock-bench is the place for JMH): acquire+release and
 * fail-fast (the key held by another client) of this backend against Curator's {@link InterProcessMutex} and
 * {@link InterProcessSemaphoreMutex}, on one in-process TestingServer, one operation at a time. Run with
 * {@code java -cp target/classes:target/test-classes:<test class path> io.distlock.zookeeper.RecipeComparison [n]}.
 */
public final class RecipeComparison {

    private RecipeComparison() {
    }

    @FunctionalInterface
    private interface Op {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        try (TestingServer server = ZooKeeperServers.server();
             CuratorFramework c1 = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(30));
             CuratorFramework c2 = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(30));
             LockManager m1 = ZooKeeperLockManager.builder().client(c1).namespace("bench").build();
             LockManager m2 = ZooKeeperLockManager.builder().client(c2).namespace("bench").build()) {
            System.out.printf(Locale.ROOT, "%-40s %10s %10s %10s%n", "operation (n=" + n + ")", "median us", "p90 us",
                    "p99 us");

            report("distlock acquire+release", n, () -> m1.tryLock("free").orElseThrow().close());
            try (LockHandle ignored = m1.tryLock("held").orElseThrow()) {
                report("distlock fail-fast (held elsewhere)", n, () -> {
                    if (m2.tryLock("held").isPresent()) {
                        throw new AssertionError("double grant");
                    }
                });
            }
            recipe("InterProcessMutex", n, c1, c2, (client) -> new InterProcessMutex(client, "/ipm/lock"));
            recipe("InterProcessSemaphoreMutex", n, c1, c2,
                    (client) -> new InterProcessSemaphoreMutex(client, "/ipsm/lock"));
        }
    }

    private static void recipe(String name, int n, CuratorFramework c1, CuratorFramework c2,
                               Function<CuratorFramework, InterProcessLock> factory) throws Exception {
        InterProcessLock free = factory.apply(c1);
        report(name + " acquire(0)+release", n, () -> {
            if (!free.acquire(0, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("free lock not acquired");
            }
            free.release();
        });
        InterProcessLock holder = factory.apply(c1);
        InterProcessLock contender = factory.apply(c2);
        holder.acquire();
        try {
            report(name + " fail-fast acquire(0)", n, () -> {
                if (contender.acquire(0, TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("double grant");
                }
            });
        } finally {
            holder.release();
        }
    }

    private static void report(String name, int n, Op op) throws Exception {
        for (int i = 0; i < Math.max(200, n / 4); i++) {
            op.run();
        }
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            op.run();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "%-40s %10.0f %10.0f %10.0f%n", name, nanos[n / 2] / 1e3, nanos[n * 9 / 10] / 1e3,
                nanos[n * 99 / 100] / 1e3);
    }
}
