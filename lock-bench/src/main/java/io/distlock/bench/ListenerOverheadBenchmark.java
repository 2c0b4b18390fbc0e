package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalLockManager;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.Optional;
import java.util.UUID;

/**
 * What a listener costs on the same-manager fail-fast path, the cheapest path of all: the same call as
 * {@link LocalBenchmark#failFastSameManager_distlock()}, on a manager with one listener that does nothing. Compare
 * with that benchmark in the same run.
 */
@State(Scope.Benchmark)
public class ListenerOverheadBenchmark {

    private LockManager manager;
    private LockHandle heldHere;

    @Setup(Level.Trial)
    public void start() {
        manager = LocalLockManager.builder().name("bench-" + UUID.randomUUID())
                .settings(LockSettings.defaults().withListener(new LockListener() { })).build();
        heldHere = manager.tryLock(LocalBenchmark.HELD_HERE).orElseThrow();
    }

    @TearDown(Level.Trial)
    public void stop() {
        heldHere.close();
        manager.close();
    }

    @Benchmark
    public Optional<LockHandle> failFastSameManager_noopListener() {
        return manager.tryLock(LocalBenchmark.HELD_HERE);
    }
}
