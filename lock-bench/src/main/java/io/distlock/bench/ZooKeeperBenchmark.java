package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.zookeeper.ZooKeeperLockManager;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.client.FourLetterWordMain;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.distlock.bench.RedisBenchmark.closeQuietly;
import static io.distlock.bench.RedisBenchmark.require;

/**
 * The ZooKeeper backend against Curator's lock recipes on the same Curator client and the same in-process
 * standalone ZooKeeper server (curator-test's TestingServer on 127.0.0.1, started per trial; clients talk to it over
 * loopback TCP, as to a remote server):
 * <ul>
 *   <li>{@code mutex}: {@link InterProcessMutex}, {@code acquire(0, ms)} / {@code release()}, a new instance per
 *       operation as for a per-request key;</li>
 *   <li>{@code semaphoremutex}: {@link InterProcessSemaphoreMutex}, the non-reentrant recipe.</li>
 * </ul>
 * "Elsewhere" is a second client (another process, in production); "same manager" for the recipes is a lock held by
 * another instance on this client, which the recipe must ask the server about.
 */
@State(Scope.Benchmark)
public class ZooKeeperBenchmark {

    private static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    private static final String HELD_HERE = "bench:held-here";
    private static final String HANDOFF = "bench:handoff";

    private TestingServer server;
    private CuratorFramework client;
    private CuratorFramework otherClient;
    private LockManager locks;
    private LockManager otherLocks;
    private ServerCalls calls;

    @Setup(Level.Trial)
    public void start() throws Exception {
        try {
            server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                    Map.of("clientPortAddress", "127.0.0.1", "maxSessionTimeout", "60000"), "127.0.0.1"), true);
            client = client(server);
            otherClient = client(server);
            LockSettings settings = LockSettings.defaults();
            locks = ZooKeeperLockManager.builder().client(client).namespace("bench").settings(settings).build();
            otherLocks = ZooKeeperLockManager.builder().client(otherClient).namespace("bench").settings(settings)
                    .build();

            otherLocks.tryLock(HELD_ELSEWHERE).orElseThrow();
            require(new InterProcessMutex(otherClient, mutexPath(HELD_ELSEWHERE)).acquire(5, TimeUnit.SECONDS));
            require(new InterProcessSemaphoreMutex(otherClient, semaphorePath(HELD_ELSEWHERE))
                    .acquire(5, TimeUnit.SECONDS));

            locks.tryLock(HELD_HERE).orElseThrow();
            // Another instance on this client: the benchmark's new instances are not reentrant with it.
            require(new InterProcessMutex(client, mutexPath(HELD_HERE)).acquire(5, TimeUnit.SECONDS));
            require(new InterProcessSemaphoreMutex(client, semaphorePath(HELD_HERE)).acquire(5, TimeUnit.SECONDS));
            calls = ServerCalls.calibrated(this::packetsReceived);
        } catch (Exception e) {
            stop();
            throw e;
        }
    }

    /** Closing the clients ends their sessions, which deletes every lock node they still hold. */
    @TearDown(Level.Trial)
    public void stop() {
        closeQuietly(locks);
        closeQuietly(otherLocks);
        closeQuietly(client);
        closeQuietly(otherClient);
        closeQuietly(server);
    }

    private static CuratorFramework client(TestingServer server) throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .sessionTimeoutMs(30_000).connectionTimeoutMs(3_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        client.start();
        require(client.blockUntilConnected(10, TimeUnit.SECONDS));
        return client;
    }

    /** Packets the server received, from the {@code srvr} four-letter word. */
    private long packetsReceived() {
        try {
            String stats = FourLetterWordMain.send4LetterWord("127.0.0.1", server.getPort(), "srvr");
            for (String line : stats.split("\n")) {
                if (line.startsWith("Received:")) {
                    return Long.parseLong(line.substring("Received:".length()).trim());
                }
            }
            throw new IllegalStateException("ZooKeeper's srvr gave no packet count: " + stats);
        } catch (java.io.IOException | org.apache.zookeeper.common.X509Exception.SSLContextException e) {
            throw new IllegalStateException("could not read ZooKeeper's statistics", e);
        }
    }

    private static String mutexPath(String key) {
        return "/raw/mutex/" + key;
    }

    private static String semaphorePath(String key) {
        return "/raw/semaphore/" + key;
    }

    private static boolean acquireAndRelease(InterProcessLock lock) throws Exception {
        require(lock.acquire(0, TimeUnit.MILLISECONDS));
        lock.release();
        return true;
    }

    // ---- acquire + release on a free key ----

    @Benchmark
    public long acquireRelease_distlock(ThreadKeys keys, Calls calls) {
        calls.ops++;
        try (LockHandle handle = locks.tryLock(keys.key).orElseThrow()) {
            return handle.fencingToken();
        }
    }

    @Benchmark
    public boolean acquireRelease_mutex(ThreadKeys keys, Calls calls) throws Exception {
        calls.ops++;
        return acquireAndRelease(new InterProcessMutex(client, mutexPath(keys.key)));
    }

    @Benchmark
    public boolean acquireRelease_semaphoremutex(ThreadKeys keys, Calls calls) throws Exception {
        calls.ops++;
        return acquireAndRelease(new InterProcessSemaphoreMutex(client, semaphorePath(keys.key)));
    }

    // ---- fail-fast on a key another client holds ----

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = locks.tryLock(HELD_ELSEWHERE);
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastElsewhere_mutex(Calls calls) throws Exception {
        calls.ops++;
        boolean acquired = new InterProcessMutex(client, mutexPath(HELD_ELSEWHERE)).acquire(0, TimeUnit.MILLISECONDS);
        require(!acquired);
        return acquired;
    }

    @Benchmark
    public boolean failFastElsewhere_semaphoremutex(Calls calls) throws Exception {
        calls.ops++;
        boolean acquired = new InterProcessSemaphoreMutex(client, semaphorePath(HELD_ELSEWHERE))
                .acquire(0, TimeUnit.MILLISECONDS);
        require(!acquired);
        return acquired;
    }

    // ---- fail-fast on a key this manager (client) holds ----

    @Benchmark
    public Optional<LockHandle> failFastSameManager_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = locks.tryLock(HELD_HERE);
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastSameManager_mutex(Calls calls) throws Exception {
        calls.ops++;
        boolean acquired = new InterProcessMutex(client, mutexPath(HELD_HERE)).acquire(0, TimeUnit.MILLISECONDS);
        require(!acquired);
        return acquired;
    }

    // ---- hand-off: two clients' threads take turns on one key ----

    @Benchmark
    public long handoff_distlock(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        LockManager manager = (thread.getThreadIndex() & 1) == 0 ? locks : otherLocks;
        Optional<LockHandle> handle = manager.tryLock(HANDOFF, RedisBenchmark.HANDOFF_WAIT);
        if (!waits.count(handle.isPresent())) {
            return 0;
        }
        try (LockHandle held = handle.get()) {
            return held.fencingToken();
        }
    }

    @Benchmark
    public boolean handoff_mutex(ThreadParams thread, WaitsTimedOut waits) throws Exception {
        CuratorFramework mine = (thread.getThreadIndex() & 1) == 0 ? client : otherClient;
        InterProcessMutex mutex = new InterProcessMutex(mine, mutexPath(HANDOFF));
        if (!waits.count(mutex.acquire(RedisBenchmark.HANDOFF_WAIT.toMillis(), TimeUnit.MILLISECONDS))) {
            return false;
        }
        mutex.release();
        return true;
    }

    /** Packets the ZooKeeper server received per iteration, against this thread's operations. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Calls {
        public long requests;
        public long ops;

        @Setup(Level.Iteration)
        public void begin(ZooKeeperBenchmark bench) {
            requests = 0;
            ops = 0;
            bench.calls.begin();
        }

        @TearDown(Level.Iteration)
        public void end(ZooKeeperBenchmark bench) {
            requests = bench.calls.end();
        }
    }
}
