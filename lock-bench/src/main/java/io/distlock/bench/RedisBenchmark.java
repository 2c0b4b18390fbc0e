package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.redis.RedisLockManager;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.ThreadParams;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import org.redisson.Redisson;
import org.redisson.api.RFencedLock;
import org.redisson.api.RLock;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.NettyHook;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.QueueCommand;
import org.redisson.config.Config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Redis backend against what users would otherwise call on the same Redisson client and the same private
 * {@code redis-server} (loopback, no persistence, started per trial):
 * <ul>
 *   <li>{@code rlock}: Redisson's {@link RLock} with an explicit lease, {@code tryLock(0, lease)} / {@code unlock()}
 *       (no watchdog; the cheapest way to use it);</li>
 *   <li>{@code rfencedlock}: {@link RFencedLock}, the Redisson lock that also gives fencing tokens, as distlock does;</li>
 *   <li>{@code setnx}: the floor, {@code SET key owner NX PX lease} and a compare-and-delete Lua script: one round
 *       trip each, no fencing, no waiting, no renewal.</li>
 * </ul>
 * "Elsewhere" is a second client (another process, in production); "same manager" is a lock held by this client
 * (for RLock: by another thread of it, which Redisson must ask the server about).
 */
@State(Scope.Benchmark)
public class RedisBenchmark {

    static final Duration LEASE = Duration.ofSeconds(30);
    private static final long LEASE_MS = LEASE.toMillis();
    /** Locks held for the whole trial by the setup. */
    private static final long HOLD_MS = TimeUnit.MINUTES.toMillis(30);
    private static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    private static final String HELD_HERE = "bench:held-here";
    private static final String HANDOFF = "bench:handoff";
    /** How long a hand-off waits; see {@link WaitsTimedOut}. */
    static final Duration HANDOFF_WAIT = Duration.ofSeconds(10);
    private static final String COMPARE_AND_DELETE =
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

    private RedisProcess server;
    private RedissonClient client;
    private RedissonClient otherClient;
    private LockManager locks;
    private LockManager otherLocks;
    private RScript script;
    /** Requests (commands and batches: round trips) that {@link #client} wrote to its connections. */
    private final LongAdder requestsSent = new LongAdder();
    private ServerCalls calls;

    @Setup(Level.Trial)
    public void start() {
        server = RedisProcess.start();
        try {
            client = client(server, requestsSent);
            otherClient = client(server, new LongAdder());
            LockSettings settings = LockSettings.defaults().withLease(LEASE);
            locks = RedisLockManager.builder().client(client).settings(settings).build();
            otherLocks = RedisLockManager.builder().client(otherClient).settings(settings).build();
            script = client.getScript(StringCodec.INSTANCE);

            otherLocks.tryLock(HELD_ELSEWHERE).orElseThrow();
            require(otherClient.getLock("rlock:" + HELD_ELSEWHERE).tryLock(0, HOLD_MS, TimeUnit.MILLISECONDS));
            require(otherClient.getFencedLock("fenced:" + HELD_ELSEWHERE)
                    .tryLockAndGetToken(0, HOLD_MS, TimeUnit.MILLISECONDS) != null);
            require(otherClient.getBucket("setnx:" + HELD_ELSEWHERE, StringCodec.INSTANCE)
                    .setIfAbsent("other", Duration.ofMillis(HOLD_MS)));

            locks.tryLock(HELD_HERE).orElseThrow();
            // Another thread of this client: Redisson's lock is reentrant per thread, so the benchmark thread must
            // not be the owner. The thread id is made up; RLock only uses it as part of the owner name.
            client.getLock("rlock:" + HELD_HERE).lockAsync(HOLD_MS, TimeUnit.MILLISECONDS, -42L)
                    .toCompletableFuture().join();
            calls = new ServerCalls(requestsSent::sum, 0);
        } catch (RuntimeException | InterruptedException e) {
            stop();
            throw new IllegalStateException("could not set up the Redis benchmark", e);
        }
    }

    /** Stops everything; the server goes last, so nothing is left holding a lock when the clients close. */
    @TearDown(Level.Trial)
    public void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {locks, otherLocks}) {
            closeQuietly(closeable);
        }
        for (RedissonClient c : new RedissonClient[] {client, otherClient}) {
            if (c != null) {
                c.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }
        closeQuietly(server);
    }

    /**
     * A client like one an application would configure, with a hook that counts the requests it writes: Redis counts
     * the commands a Lua script runs as commands, so the server's statistics cannot tell round trips apart.
     */
    private static RedissonClient client(RedisProcess server, LongAdder requests) {
        Config config = new Config();
        config.setCodec(StringCodec.INSTANCE);
        config.setNettyHook(new NettyHook() {
            @Override
            public void afterBoostrapInitialization(Bootstrap bootstrap) {
            }

            @Override
            public void afterChannelInitialization(Channel channel) {
                channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                        if (msg instanceof QueueCommand) {
                            requests.increment();
                        }
                        ctx.write(msg, promise);
                    }
                });
            }
        });
        config.useSingleServer().setAddress(server.address()).setTimeout(3000).setRetryAttempts(0);
        return Redisson.create(config);
    }

    // ---- acquire + release on a free key ----

    @Benchmark
    public long acquireRelease_distlock(ThreadKeys keys, Calls calls) {
        calls.ops++;
        try (LockHandle handle = locks.tryLock(keys.key).orElseThrow()) {
            return handle.fencingToken();
        }
    }

    /** The same through {@code tryLockAsync}, joined: what the stage and the backend's native async call cost. */
    @Benchmark
    public long acquireRelease_distlockAsync(ThreadKeys keys, Calls calls) {
        calls.ops++;
        try (LockHandle handle = locks.tryLockAsync(keys.key).toCompletableFuture().join().orElseThrow()) {
            return handle.fencingToken();
        }
    }

    @Benchmark
    public boolean acquireRelease_rlock(ThreadKeys keys, Calls calls) throws InterruptedException {
        calls.ops++;
        RLock lock = client.getLock(keys.key);
        require(lock.tryLock(0, LEASE_MS, TimeUnit.MILLISECONDS));
        lock.unlock();
        return true;
    }

    @Benchmark
    public long acquireRelease_rfencedlock(ThreadKeys keys, Calls calls) {
        calls.ops++;
        RFencedLock lock = client.getFencedLock(keys.key);
        Long token = lock.tryLockAndGetToken(0, LEASE_MS, TimeUnit.MILLISECONDS);
        require(token != null);
        lock.unlock();
        return token;
    }

    @Benchmark
    public long acquireRelease_setnx(ThreadKeys keys, Calls calls) {
        calls.ops++;
        require(client.getBucket(keys.key, StringCodec.INSTANCE).setIfAbsent(keys.owner, LEASE));
        Long deleted = script.eval(keys.key, RScript.Mode.READ_WRITE, COMPARE_AND_DELETE, RScript.ReturnType.INTEGER,
                List.of(keys.key), keys.owner);
        require(deleted == 1L);
        return deleted;
    }

    // ---- fail-fast on a key another client holds: one round trip, no subscription, no polling ----

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = locks.tryLock(HELD_ELSEWHERE);
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlockAsync(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = locks.tryLockAsync(HELD_ELSEWHERE).toCompletableFuture().join();
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastElsewhere_rlock(Calls calls) throws InterruptedException {
        calls.ops++;
        boolean acquired = client.getLock("rlock:" + HELD_ELSEWHERE).tryLock(0, LEASE_MS, TimeUnit.MILLISECONDS);
        require(!acquired);
        return acquired;
    }

    @Benchmark
    public Long failFastElsewhere_rfencedlock(Calls calls) {
        calls.ops++;
        Long token = client.getFencedLock("fenced:" + HELD_ELSEWHERE)
                .tryLockAndGetToken(0, LEASE_MS, TimeUnit.MILLISECONDS);
        require(token == null);
        return token;
    }

    @Benchmark
    public boolean failFastElsewhere_setnx(ThreadKeys keys, Calls calls) {
        calls.ops++;
        boolean acquired = client.getBucket("setnx:" + HELD_ELSEWHERE, StringCodec.INSTANCE)
                .setIfAbsent(keys.owner, LEASE);
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
    public boolean failFastSameManager_rlock(Calls calls) throws InterruptedException {
        calls.ops++;
        boolean acquired = client.getLock("rlock:" + HELD_HERE).tryLock(0, LEASE_MS, TimeUnit.MILLISECONDS);
        require(!acquired);
        return acquired;
    }

    // ---- hand-off: two clients' threads take turns on one key ----

    @Benchmark
    public long handoff_distlock(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        LockManager manager = (thread.getThreadIndex() & 1) == 0 ? locks : otherLocks;
        Optional<LockHandle> handle = manager.tryLock(HANDOFF, HANDOFF_WAIT);
        if (!waits.count(handle.isPresent())) {
            return 0;
        }
        try (LockHandle held = handle.get()) {
            return held.fencingToken();
        }
    }

    @Benchmark
    public boolean handoff_rlock(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        RedissonClient mine = (thread.getThreadIndex() & 1) == 0 ? client : otherClient;
        RLock lock = mine.getLock(HANDOFF);
        if (!waits.count(lock.tryLock(HANDOFF_WAIT.toMillis(), LEASE_MS, TimeUnit.MILLISECONDS))) {
            return false;
        }
        lock.unlock();
        return true;
    }

    /** Requests this benchmark's client sent per iteration, against the operations of this thread (see {@link ServerCalls}). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Calls {
        public long requests;
        public long ops;

        @Setup(Level.Iteration)
        public void begin(RedisBenchmark bench) {
            requests = 0;
            ops = 0;
            bench.calls.begin();
        }

        @TearDown(Level.Iteration)
        public void end(RedisBenchmark bench) {
            requests = bench.calls.end();
        }
    }

    static void require(boolean condition) {
        if (!condition) {
            throw new IllegalStateException("the benchmark's precondition failed: a lock was (not) granted");
        }
    }

    static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            // Teardown of a benchmark: the server is stopped next, which ends whatever failed to close.
        }
    }
}
