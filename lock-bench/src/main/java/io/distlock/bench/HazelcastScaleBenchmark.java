package io.distlock.bench;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.IMap;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.hazelcast.HazelcastLockManager;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The cost of holding many Hazelcast locks: one manager on a client of a two-member cluster (both members in this
 * JVM, default 271 partitions, one backup) holds N locks with a 3 s lease for a while; the run reports the member
 * operations per second over a window after the first renewals (both members' executed operations, backups
 * included), the client's CPU (this JVM's threads other than the members', as a percentage of one core) and the time
 * to acquire and release all N, for:
 * <ul>
 *   <li>{@code distlock}: batched renewal (default batches of 1,000);</li>
 *   <li>{@code distlock-batch100}: batches of 100 (the core's default batch size);</li>
 *   <li>{@code distlock-batch1}: one renewal per lock (synchronous backups), as before batching;</li>
 *   <li>{@code imap}: {@code IMap.lock(key)} from the client, which holds until unlock or until the client leaves
 *       and so renews nothing (with a lease, {@code IMap.lock} would simply expire: it has no watchdog).</li>
 * </ul>
 * Not a JMH benchmark. Arguments: {@code [--window SECONDS] [--out FILE] N...} (default N: 1000 10000; window 9 s).
 */
public final class HazelcastScaleBenchmark {

    static final Duration LEASE = Duration.ofSeconds(3);
    private static final String MEMBER = "scale-member";

    /** What one implementation cost at one N. */
    record Result(String impl, int n, double operationsPerSecond, double cpuPercent, double acquireSeconds,
                  double releaseSeconds, long lost) {
    }

    private HazelcastScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        long windowSeconds = 9;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--window" -> windowSeconds = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> sizes.add(Integer.parseInt(args[i].replace(",", "").replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(1_000, 10_000);
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<Result> results = new ArrayList<>();
        for (int n : sizes) {
            for (String impl : List.of("distlock", "distlock-batch100", "distlock-batch1", "imap")) {
                Result result = measure(impl, n, windowSeconds);
                System.err.println(result);
                results.add(result);
            }
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String report = render(results, load, loadAfter, windowSeconds);
        System.out.println(report);
        if (out != null) {
            Files.writeString(out, report);
        }
    }

    static Result measure(String impl, int n, long windowSeconds) throws Exception {
        System.err.printf(Locale.ROOT, "%s: %,d locks…%n", impl, n);
        String cluster = "distlock-scale-" + UUID.randomUUID();
        int[] ports = {RedisProcess.freePort(), RedisProcess.freePort()};
        HazelcastInstance[] members = new HazelcastInstance[2];
        HazelcastInstance client = null;
        LockManager manager = null;
        try {
            for (int i = 0; i < 2; i++) {
                members[i] = Hazelcast.newHazelcastInstance(memberConfig(cluster, ports, i));
            }
            members[0].getMap("bench.warm-up").put("warm-up", "ok");
            client = client(cluster, ports);
            LongSupplier operations = () -> executed(members[0]) + executed(members[1]);
            if (impl.startsWith("distlock")) {
                int batch = impl.equals("distlock-batch1") ? 1 : impl.equals("distlock-batch100") ? 100
                        : HazelcastLockManager.DEFAULT_RENEWAL_BATCH_SIZE;
                manager = HazelcastLockManager.builder().instance(client).renewalBatchSize(batch)
                        .settings(LockSettings.defaults().withLease(LEASE).withOperationTimeout(Duration.ofSeconds(1)))
                        .build();
            }
            IMap<String, String> map = client.getMap("bench.scale.raw");
            List<LockHandle> handles = new ArrayList<>(manager != null ? n : 0);
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String key = "scale:" + i;
                if (manager != null) {
                    handles.add(manager.tryLock(key).orElseThrow(() -> new IllegalStateException(key)));
                } else if (!map.tryLock(key)) {
                    throw new IllegalStateException(key);
                }
            }
            double acquireSeconds = (System.nanoTime() - start) / 1e9;
            // Let the first renewals of everything pass (a third of the lease, plus slack for a loaded machine).
            Thread.sleep(LEASE.toMillis() / 3 + 1500);
            long operationsBefore = operations.getAsLong();
            long cpuBefore = clientCpuNanos();
            long windowStart = System.nanoTime();
            Thread.sleep(TimeUnit.SECONDS.toMillis(windowSeconds));
            long cpu = clientCpuNanos() - cpuBefore;
            double window = (System.nanoTime() - windowStart) / 1e9;
            long executed = operations.getAsLong() - operationsBefore;
            long lost = handles.stream().filter(h -> !h.isHeld()).count();
            start = System.nanoTime();
            handles.forEach(LockHandle::close);
            if (manager == null) {
                for (int i = 0; i < n; i++) {
                    map.unlock("scale:" + i);
                }
            }
            double releaseSeconds = (System.nanoTime() - start) / 1e9;
            return new Result(impl, n, executed / window, 100.0 * cpu / 1e9 / window, acquireSeconds,
                    releaseSeconds, lost);
        } finally {
            if (manager != null) {
                manager.close();
            }
            if (client != null) {
                client.getLifecycleService().terminate();
            }
            for (HazelcastInstance member : members) {
                if (member != null) {
                    member.getLifecycleService().terminate();
                }
            }
        }
    }

    private static long executed(HazelcastInstance member) {
        return ((HazelcastInstanceProxy) member).getOriginal().node.getNodeEngine().getOperationService()
                .getExecutedOperationCount();
    }

    /** CPU of this JVM's live threads that are not the members' (theirs are named after the instance). */
    private static long clientCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null || info.getThreadName().contains(MEMBER)) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu > 0) {
                sum += cpu;
            }
        }
        return sum;
    }

    private static Config memberConfig(String cluster, int[] ports, int index) {
        Config config = new Config().setClusterName(cluster).setInstanceName(MEMBER + "-" + index);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        config.getJetConfig().setEnabled(false);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(ports[index]).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true);
        for (int port : ports) {
            join.getTcpIpConfig().addMember("127.0.0.1:" + port);
        }
        return config;
    }

    private static HazelcastInstance client(String cluster, int[] ports) {
        ClientConfig config = new ClientConfig().setClusterName(cluster).setInstanceName("scale-client");
        config.setProperty("hazelcast.logging.type", "slf4j");
        for (int port : ports) {
            config.getNetworkConfig().addAddress("127.0.0.1:" + port);
        }
        config.setBackupAckToClientEnabled(false);
        return HazelcastClient.newHazelcastClient(config);
    }

    static String render(List<Result> results, double load, double loadAfter, long windowSeconds) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Hazelcast, two members in the benchmark JVM (271 partitions, one backup),"
                        + " one client holding the locks, lease %d s, %d s window after the first renewals; 1-minute "
                        + "load average %.1f at start, %.1f at the end, on %d cores.%n%n", LEASE.toSeconds(),
                windowSeconds, load, loadAfter, Runtime.getRuntime().availableProcessors()));
        md.append("| held locks | impl | member operations/s (backups included) | client CPU (% of a core) "
                + "| acquire all (s) | release all (s) | lost |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            md.append(String.format(Locale.ROOT, "| %,d | %s | %,.0f | %.1f | %.2f | %.2f | %s |%n", r.n(),
                    r.impl(), r.operationsPerSecond(), r.cpuPercent(), r.acquireSeconds(), r.releaseSeconds(),
                    r.lost()));
        }
        return md.toString();
    }
}
