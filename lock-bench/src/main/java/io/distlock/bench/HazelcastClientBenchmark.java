package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.distlock.bench.RedisBenchmark.require;

/**
 * The Hazelcast backend through a client connected over loopback to a member in this JVM against {@code IMap.tryLock(key)} / {@code unlock(key)} on the same instance and
 * map service: Hazelcast's own per-key lock, which users would otherwise call (community edition; FencedLock needs
 * the CP subsystem). "Elsewhere" is a second client; "same manager" for the raw lock is a lock held by another thread of
 * the same instance, which Hazelcast must ask the partition owner about.
 */
@State(Scope.Benchmark)
public class HazelcastClientBenchmark {

    private static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    private static final String HELD_HERE = "bench:held-here";
    private static final String HANDOFF = "bench:handoff";

    private HazelcastFixture hz;

    @Setup(Level.Trial)
    public void start() throws InterruptedException {
        hz = HazelcastFixture.start(true);
        try {
            hz.otherLocks.tryLock(HELD_ELSEWHERE).orElseThrow();
            HazelcastFixture.lockFromAnotherThread(hz.elsewhere, HELD_ELSEWHERE);
            hz.locks.tryLock(HELD_HERE).orElseThrow();
            HazelcastFixture.lockFromAnotherThread(hz.here, HELD_HERE);
        } catch (RuntimeException | InterruptedException e) {
            hz.close();
            throw e;
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        hz.close();
    }

    @Benchmark
    public long acquireRelease_distlock(ThreadKeys keys, Calls calls) {
        calls.ops++;
        try (LockHandle handle = hz.locks.tryLock(keys.key).orElseThrow()) {
            return handle.fencingToken();
        }
    }

    @Benchmark
    public boolean acquireRelease_imap(ThreadKeys keys, Calls calls) {
        calls.ops++;
        require(hz.map.tryLock(keys.key));
        hz.map.unlock(keys.key);
        return true;
    }

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = hz.locks.tryLock(HELD_ELSEWHERE);
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastElsewhere_imap(Calls calls) {
        calls.ops++;
        boolean acquired = hz.map.tryLock(HELD_ELSEWHERE);
        require(!acquired);
        return acquired;
    }

    @Benchmark
    public Optional<LockHandle> failFastSameManager_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = hz.locks.tryLock(HELD_HERE);
        require(handle.isEmpty());
        return handle;
    }

    @Benchmark
    public boolean failFastSameManager_imap(Calls calls) {
        calls.ops++;
        boolean acquired = hz.map.tryLock(HELD_HERE);
        require(!acquired);
        return acquired;
    }

    @Benchmark
    public long handoff_distlock(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        LockManager manager = (thread.getThreadIndex() & 1) == 0 ? hz.locks : hz.otherLocks;
        Optional<LockHandle> handle = manager.tryLock(HANDOFF, RedisBenchmark.HANDOFF_WAIT);
        if (!waits.count(handle.isPresent())) {
            return 0;
        }
        try (LockHandle held = handle.get()) {
            return held.fencingToken();
        }
    }

    @Benchmark
    public boolean handoff_imap(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        var map = ((thread.getThreadIndex() & 1) == 0 ? hz.here : hz.elsewhere).<String, String>getMap(
                HazelcastFixture.RAW_MAP);
        if (!waits.count(map.tryLock(HANDOFF, RedisBenchmark.HANDOFF_WAIT.toMillis(), TimeUnit.MILLISECONDS))) {
            return false;
        }
        map.unlock(HANDOFF);
        return true;
    }

    /** Operations the member executed per iteration, against this thread's operations. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Calls {
        public long requests;
        public long ops;

        @Setup(Level.Iteration)
        public void begin(HazelcastClientBenchmark bench) {
            requests = 0;
            ops = 0;
            bench.hz.calls.begin();
        }

        @TearDown(Level.Iteration)
        public void end(HazelcastClientBenchmark bench) {
            requests = bench.hz.calls.end();
        }
    }
}
