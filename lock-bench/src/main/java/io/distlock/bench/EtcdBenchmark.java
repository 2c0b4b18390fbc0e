package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.etcd.EtcdLockManager;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lock.LockResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static io.distlock.bench.RedisBenchmark.closeQuietly;
import static io.distlock.bench.RedisBenchmark.require;

/**
 * The etcd backend against jetcd's own clients on the same jetcd client and the same private etcd server (a
 * one-member cluster on loopback, started per trial):
 * <ul>
 *   <li>{@code jetcdlock}: jetcd's {@code Lock} client as its documentation uses it for a per-request lock: grant a
 *       lease, {@code lock(name, lease)}, {@code unlock(key)}, revoke the lease. It has no try-lock (a held lock makes
 *       {@code lock} wait), so it appears only in acquire+release;</li>
 *   <li>{@code jetcdlocklease}: the same {@code Lock} calls on one long-lived lease, the cheapest way to use it;</li>
 *   <li>{@code txn}: the raw transaction our acquire sends ({@code If(createRevision == 0) Then(put) Else(get)}),
 *       issued directly through jetcd's KV client: the floor for fail-fast.</li>
 * </ul>
 * "Elsewhere" is a second manager on its own client (another process, in production).
 */
@State(Scope.Benchmark)
public class EtcdBenchmark {

    private static final String HELD_ELSEWHERE = "bench:held-elsewhere";
    private static final String HELD_HERE = "bench:held-here";

    private EtcdProcess server;
    private Client client;
    private Client otherClient;
    private LockManager locks;
    private LockManager otherLocks;
    private long sharedLease;
    private ServerCalls calls;
    private ByteSequence heldElsewhereKey;

    @Setup(Level.Trial)
    public void start() throws Exception {
        try {
            server = EtcdProcess.start();
            client = Client.builder().endpoints("http://" + server.endpoint()).build();
            otherClient = Client.builder().endpoints("http://" + server.endpoint()).build();
            // The first call of a JVM loads jetcd's gRPC and Vert.x machinery: 1 s on an idle machine, 5 s at a load
            // of 16, measured. Done here, not inside the first lock call's operation timeout.
            for (Client c : new Client[] {client, otherClient}) {
                c.getKVClient().get(bytes("/bench/warm-up")).get(60, TimeUnit.SECONDS);
            }
            LockSettings settings = LockSettings.defaults();
            locks = EtcdLockManager.builder().client(client).namespace("bench").settings(settings).build();
            otherLocks = EtcdLockManager.builder().client(otherClient).namespace("bench").settings(settings)
                    .build();
            otherLocks.tryLock(HELD_ELSEWHERE).orElseThrow();
            locks.tryLock(HELD_HERE).orElseThrow();
            sharedLease = client.getLeaseClient().grant(60).get(10, TimeUnit.SECONDS).getID();
            client.getLeaseClient().keepAlive(sharedLease, io.etcd.jetcd.support.Observers.observer(r -> { }));
            heldElsewhereKey = bytes("/bench/locks/" + HELD_ELSEWHERE);
            calls = ServerCalls.calibrated(server::requestsReceived);
        } catch (Exception e) {
            stop();
            throw e;
        }
    }

    /** Closing the managers revokes their leases; the server is killed anyway. */
    @TearDown(Level.Trial)
    public void stop() {
        closeQuietly(locks);
        closeQuietly(otherLocks);
        closeQuietly(client);
        closeQuietly(otherClient);
        closeQuietly(server);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
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
    public long acquireRelease_jetcdlock(ThreadKeys keys, Calls calls) throws Exception {
        calls.ops++;
        long lease = client.getLeaseClient().grant(30).get(10, TimeUnit.SECONDS).getID();
        LockResponse locked = client.getLockClient().lock(bytes("/raw/" + keys.key), lease).get(10, TimeUnit.SECONDS);
        client.getLockClient().unlock(locked.getKey()).get(10, TimeUnit.SECONDS);
        client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
        return locked.getHeader().getRevision();
    }

    @Benchmark
    public long acquireRelease_jetcdlocklease(ThreadKeys keys, Calls calls) throws Exception {
        calls.ops++;
        LockResponse locked = client.getLockClient().lock(bytes("/raw/" + keys.key), sharedLease)
                .get(10, TimeUnit.SECONDS);
        client.getLockClient().unlock(locked.getKey()).get(10, TimeUnit.SECONDS);
        return locked.getHeader().getRevision();
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
    public boolean failFastElsewhere_txn(Calls calls) throws Exception {
        calls.ops++;
        TxnResponse response = client.getKVClient().txn()
                .If(new Cmp(heldElsewhereKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(heldElsewhereKey, bytes("owner"), PutOption.builder().withLeaseId(sharedLease).build()))
                .Else(Op.get(heldElsewhereKey, GetOption.DEFAULT))
                .commit().get(10, TimeUnit.SECONDS);
        require(!response.isSucceeded());
        return response.isSucceeded();
    }

    // ---- fail-fast on a key this manager holds ----

    @Benchmark
    public Optional<LockHandle> failFastSameManager_distlock(Calls calls) {
        calls.ops++;
        Optional<LockHandle> handle = locks.tryLock(HELD_HERE);
        require(handle.isEmpty());
        return handle;
    }

    /** gRPC messages the etcd server received per iteration, against this thread's operations. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Calls {
        public long requests;
        public long ops;

        @Setup(Level.Iteration)
        public void begin(EtcdBenchmark bench) {
            requests = 0;
            ops = 0;
            bench.calls.begin();
        }

        @TearDown(Level.Iteration)
        public void end(EtcdBenchmark bench) {
            requests = bench.calls.end();
        }
    }
}
