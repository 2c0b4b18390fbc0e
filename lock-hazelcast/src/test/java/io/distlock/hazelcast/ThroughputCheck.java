package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the embedded two-thread throughput goes, layer by layer, not a benchmark and not a test: on one member, two
 * threads on distinct keys run for a few seconds each (after a warm-up) IMap {@code tryLock}+{@code unlock}, two no-op
 * entry processors through the backend's direct path, the backend's acquire+release without the core, and the
 * manager's {@code tryLock}+{@code close}. Prints operations per second and bytes allocated per operation by the two
 * calling threads (the partition thread's allocations are not included). Run from the test class path:
 * {@code java -cp ... io.distlock.hazelcast.ThroughputCheck [seconds]}.
 */
public final class ThroughputCheck {

    private static final String OWNER = "3f9a0c1d2e4b5a69:17;1764631200123;bench-host:12345;bench-thread-1";

    private ThroughputCheck() {
    }

    public static void main(String[] args) throws Exception {
        long seconds = args.length > 0 ? Long.parseLong(args[0]) : 4;
        try (TestCluster cluster = TestCluster.start("throughput", 1)) {
            HazelcastInstance member = cluster.member(0);
            IMap<String, String> map = member.getMap("throughput.imap");
            EntryCalls calls = EntryCalls.of(member.<String, String>getMap("throughput.noop"), Duration.ofSeconds(3));
            HazelcastLockBackend backend = new HazelcastLockBackend(member, false, "throughput.backend",
                    Duration.ofSeconds(3), Duration.ofMinutes(1));
            LockManager manager = HazelcastLockManager.builder().instance(member).mapName("throughput.manager")
                    .settings(LockSettings.defaults()).build();
            Op imap = key -> {
                if (!map.tryLock(key)) {
                    throw new IllegalStateException(key);
                }
                map.unlock(key);
            };
            Op noop = key -> {
                calls.execute("noop", key, new Noop(), false);
                calls.execute("noop", key, new Noop(), false);
            };
            Op direct = key -> {
                if (!backend.tryAcquire(key, OWNER, Duration.ofSeconds(30)).isAcquired()) {
                    throw new IllegalStateException(key);
                }
                backend.release(key, OWNER);
            };
            Op full = key -> {
                try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                    handle.fencingToken();
                }
            };
            for (int round = 0; round < 2; round++) {
                for (String name : new String[] {"imap", "noop x2", "backend", "manager"}) {
                    Op op = switch (name) {
                        case "imap" -> imap;
                        case "noop x2" -> noop;
                        case "backend" -> direct;
                        default -> full;
                    };
                    double[] result = run(op, round == 0 ? 1 : seconds);
                    if (round == 1) {
                        System.out.printf("%-8s %,9.0f ops/s %,7.0f B/op%n", name, result[0], result[1]);
                    }
                }
            }
            manager.close();
            backend.close();
        }
    }

    /** Two threads, distinct keys: operations per second and bytes the callers allocated per operation. */
    private static double[] run(Op op, long seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong ops = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)
                        ManagementFactory.getThreadMXBean();
                long before = mx.getCurrentThreadAllocatedBytes();
                long n = 0;
                while (System.nanoTime() - end < 0) {
                    op.run("t" + id + ":" + (n & 63));
                    n++;
                }
                bytes.addAndGet(mx.getCurrentThreadAllocatedBytes() - before);
                ops.addAndGet(n);
            });
        }
        long start = System.nanoTime();
        for (Thread thread : threads) {
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        return new double[] {ops.get() / elapsed, (double) bytes.get() / Math.max(1, ops.get())};
    }

    @FunctionalInterface
    private interface Op {
        void run(String key);
    }

    /** Does nothing on the entry and answers 1, as cheaply as an entry processor can. */
    static final class Noop implements EntryProcessor<String, String, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long process(Map.Entry<String, String> entry) {
            return 1L;
        }

        @Override
        public EntryProcessor<String, String, Long> getBackupProcessor() {
            return null;
        }
    }
}
