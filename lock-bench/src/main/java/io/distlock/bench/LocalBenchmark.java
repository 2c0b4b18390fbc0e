package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.local.LocalLockManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.ThreadParams;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-process backend against the floor it is built on, a {@link ConcurrentHashMap} used as a lock table
 * ({@code putIfAbsent}/{@code remove}): the difference is the cost of the shared machinery (validation, local table,
 * handle, lease bookkeeping).
 */
@State(Scope.Benchmark)
public class LocalBenchmark {

    private LockManager replica;
    private LockManager otherReplica;
    private LockHandle heldElsewhere;
    private LockHandle heldHere;
    private final ConcurrentHashMap<String, String> rawTable = new ConcurrentHashMap<>();

    static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    static final String HELD_HERE = "bench:held-here";
    static final String HANDOFF = "bench:handoff";

    @Setup(Level.Trial)
    public void start() {
        String table = "bench-" + UUID.randomUUID();
        replica = LocalLockManager.builder().name(table).build();
        otherReplica = LocalLockManager.builder().name(table).build();
        heldElsewhere = otherReplica.tryLock(HELD_ELSEWHERE).orElseThrow();
        heldHere = replica.tryLock(HELD_HERE).orElseThrow();
        rawTable.put(HELD_ELSEWHERE, "other");
    }

    @TearDown(Level.Trial)
    public void stop() {
        heldElsewhere.close();
        heldHere.close();
        replica.close();
        otherReplica.close();
    }

    @Benchmark
    public long acquireRelease_distlock(ThreadKeys keys) {
        try (LockHandle handle = replica.tryLock(keys.key).orElseThrow()) {
            return handle.fencingToken();
        }
    }

    @Benchmark
    public boolean acquireRelease_map(ThreadKeys keys) {
        boolean acquired = rawTable.putIfAbsent(keys.key, keys.owner) == null;
        rawTable.remove(keys.key, keys.owner);
        return acquired;
    }

    @Benchmark
    public Optional<LockHandle> failFastElsewhere_distlock() {
        return replica.tryLock(HELD_ELSEWHERE);
    }

    @Benchmark
    public boolean failFastElsewhere_map(ThreadKeys keys) {
        return rawTable.putIfAbsent(HELD_ELSEWHERE, keys.owner) == null;
    }

    /** Threads of two managers take turns on one key: waiting, wake-up on release, and re-acquisition. */
    @Benchmark
    public long handoff_distlock(ThreadParams thread, WaitsTimedOut waits) throws InterruptedException {
        LockManager manager = (thread.getThreadIndex() & 1) == 0 ? replica : otherReplica;
        Optional<LockHandle> handle = manager.tryLock(HANDOFF, RedisBenchmark.HANDOFF_WAIT);
        if (!waits.count(handle.isPresent())) {
            return 0;
        }
        try (LockHandle held = handle.get()) {
            return held.fencingToken();
        }
    }

    @Benchmark
    public Optional<LockHandle> failFastSameManager_distlock() {
        return replica.tryLock(HELD_HERE);
    }
}
