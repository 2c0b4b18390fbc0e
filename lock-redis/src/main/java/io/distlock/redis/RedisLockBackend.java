package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.BoundedAwait;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import org.redisson.api.BatchOptions;
import org.redisson.api.BatchResult;
import org.redisson.api.RBatch;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.OptionalOptions;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link LockBackend} on a Redisson client: each operation is one Lua script (see {@link RedisScripts}), sent
 * with no client-side retry and awaited for at most the operation timeout.
 *
 * <p>Why no retry: a script that timed out may still run later (the server was only slow), so a retry could run it
 * again after the core's compensating release of that owner, and leave a lock nobody knows about. With none, a
 * timed-out acquire has an unknown outcome, which the core clears by releasing the owner in the background
 * (owner-checked, so harmless if the script never ran).
 *
 * <p>With {@link ReplicaAcks replica acknowledgements}, acquire and renew are sent in one pipeline with
 * {@code WAIT replicas timeout}, and count only if that many replicas confirmed the write: a master cut off from its
 * replicas can then neither grant nor extend a lock, so after a failover the old holder's lease runs out no later
 * than the copy the new master has. Thread safe.
 */
final class RedisLockBackend implements LockBackend, LockInspection {

    private static final Logger log = LoggerFactory.getLogger(RedisLockBackend.class);
    /** Replicas that must confirm each acquisition and renewal, and how long the master waits for them. */
    record ReplicaAcks(int replicas, Duration timeout) {
        static final ReplicaAcks NONE = new ReplicaAcks(0, Duration.ZERO);
    }

    private final RedissonClient client;
    private final boolean ownsClient;
    private final RedisCalls calls;
    private final Duration operationTimeout;
    private final String fenceRetentionMillis;
    private final ReplicaAcks acks;
    private final RScript script;
    private final ReleaseNotifications notifications;
    private final RedisInspection inspection;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisLockBackend(RedissonClient client, boolean ownsClient, RedisFailures failures, Duration operationTimeout,
                     Duration fenceRetention, ReplicaAcks acks) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.calls = new RedisCalls(failures, operationTimeout);
        this.operationTimeout = operationTimeout;
        this.fenceRetentionMillis = Long.toString(Math.max(1, fenceRetention.toMillis()));
        this.acks = acks;
        // Per-object options also bound a client the caller configured: its own timeout and retries (4 by default
        // in Redisson 3.52) would otherwise stretch a call far beyond the operation timeout, and re-send scripts.
        this.script = client.getScript(OptionalOptions.defaults()
                .codec(StringCodec.INSTANCE)
                .timeout(operationTimeout)
                .retryAttempts(0));
        this.notifications = new ReleaseNotifications(ReleaseNotifications.topic(client), calls, this::answers,
                this::answersAsync);
        this.inspection = new RedisInspection(client, script, calls);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        return tryAcquire(key, owner, lease, System.nanoTime() + operationTimeout.toNanos());
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
        String lockKey = RedisKeys.lockKey(key);
        String what = "acquiring lock '" + key + "'";
        List<Object> keys = List.of(lockKey, RedisKeys.fenceKey(lockKey));
        Object[] args = {owner, Long.toString(lease.toMillis()), fenceRetentionMillis};
        long value;
        // A failure leaves the outcome unknown; the core then releases this owner in the background.
        if (acks.replicas() == 0) {
            RFuture<Long> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                    RedisScripts.ACQUIRE, RScript.ReturnType.INTEGER, keys, args));
            value = calls.awaitReplyUntil(future, what, "; whether it was taken is unknown, and it is released if it "
                    + "was", deadlineNanos, BoundedAwait.Interrupts.ABORT);
        } else {
            value = withReplicas(what, RedisScripts.ACQUIRE, lockKey, keys, args, true, deadlineNanos);
        }
        return acquireResult(value);
    }

    /**
     * The acquire script sent with Redisson's asynchronous API: nothing blocks, the stage completes on Redisson's
     * I/O thread (or on the JDK's delay scheduler when the deadline passes first). Same script, same deadline (the
     * earlier of {@code deadlineNanos} and one operation timeout) and same failures as the blocking form, which
     * stays as it was: it has no stage to complete and no extra hop. With replica acknowledgements the pipeline
     * with {@code WAIT} is not sent this way yet; the SPI's default (the blocking form on a pool) serves it.
     */
    @Override
    public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                          long deadlineNanos) {
        if (acks.replicas() > 0) {
            return LockBackend.super.tryAcquireAsync(key, owner, lease, deadlineNanos);
        }
        String lockKey = RedisKeys.lockKey(key);
        String what = "acquiring lock '" + key + "'";
        RFuture<Long> future;
        try {
            future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE, RedisScripts.ACQUIRE,
                    RScript.ReturnType.INTEGER, List.of(lockKey, RedisKeys.fenceKey(lockKey)), owner,
                    Long.toString(lease.toMillis()), fenceRetentionMillis));
        } catch (LockBackendException e) {
            return CompletableFuture.failedFuture(e);
        }
        return calls.replyWithin(future, what, "; whether it was taken is unknown, and it is released if it was",
                deadlineNanos).thenApply(RedisLockBackend::acquireResult);
    }

    private static AcquireResult acquireResult(long value) {
        if (value > 0) {
            return AcquireResult.acquired(value);
        }
        return value == 0 ? AcquireResult.held() : AcquireResult.heldFor(Duration.ofMillis(-1 - value));
    }

    /**
     * Runs {@code luaScript} and {@code WAIT} in one pipeline. For an acquisition ({@code acquire}), a positive
     * result is a write; for a renewal, 1 is.
     *
     * @throws LockBackendException if the write was made but fewer replicas than required confirmed it
     */
    private long withReplicas(String what, String luaScript, String lockKey, List<Object> keys, Object[] args,
                              boolean acquire, long deadlineNanos) {
        RBatch batch = client.createBatch(BatchOptions.defaults()
                .executionMode(BatchOptions.ExecutionMode.IN_MEMORY)
                .responseTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .retryAttempts(0)
                .sync(acks.replicas(), acks.timeout()));
        RFuture<Long> result = batch.getScript(StringCodec.INSTANCE).evalAsync(lockKey, RScript.Mode.READ_WRITE,
                luaScript, RScript.ReturnType.INTEGER, keys, args);
        BatchResult<?> done = calls.awaitReplyUntil(calls.send(what, batch::executeAsync), what, acquire
                ? "; whether it was taken is unknown, and it is released if it was" : "", deadlineNanos,
                acquire ? BoundedAwait.Interrupts.ABORT : BoundedAwait.Interrupts.FINISH);
        Long value = result.toCompletableFuture().getNow(null);
        if (value == null) {
            throw new LockBackendException(what + " on " + calls.description() + " got no value (a nil reply)");
        }
        boolean wrote = acquire ? value > 0 : value == 1;
        if (wrote && done.getSyncedSlaves() < acks.replicas()) {
            throw new LockBackendException(what + " on " + calls.description() + " was not confirmed by enough "
                    + "replicas: " + done.getSyncedSlaves() + " of " + acks.replicas() + " acknowledged within "
                    + acks.timeout().toMillis() + " ms, so the master may be cut off from them"
                    + (acquire ? "; the lock is released" : ""));
        }
        return value;
    }

    @Override
    public boolean release(String key, String owner) {
        String what = "releasing lock '" + key + "'";
        String lockKey = RedisKeys.lockKey(key);
        RFuture<Long> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                RedisScripts.RELEASE, RScript.ReturnType.INTEGER, List.of(lockKey), owner,
                RedisKeys.RELEASE_CHANNEL));
        return calls.awaitReplyUninterruptibly(future, what) == 1;
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        String lockKey = RedisKeys.lockKey(key);
        String what = "renewing lock '" + key + "'";
        List<Object> keys = List.of(lockKey);
        Object[] args = {owner, Long.toString(lease.toMillis())};
        if (acks.replicas() > 0) {
            return withReplicas(what, RedisScripts.RENEW, lockKey, keys, args, false,
                    System.nanoTime() + operationTimeout.toNanos()) == 1;
        }
        RFuture<Long> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                RedisScripts.RENEW, RScript.ReturnType.INTEGER, keys, args));
        return calls.awaitReplyUninterruptibly(future, what) == 1;
    }

    /**
     * One script per Cluster hash slot among the keys (one for all of them on a single server or Sentinel master),
     * all sent at once: a tick renewing a hundred locks costs one round trip instead of a hundred. With replica
     * acknowledgements each group is pipelined with {@code WAIT}.
     */
    @Override
    public List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        boolean cluster = client.getConfig().isClusterConfig();
        for (int i = 0; i < renewals.size(); i++) {
            int group = cluster ? RedisKeys.slot(RedisKeys.lockKey(renewals.get(i).key())) : 0;
            groups.computeIfAbsent(group, g -> new ArrayList<>()).add(i);
        }
        String leaseMillis = Long.toString(lease.toMillis());
        RenewalResult[] results = new RenewalResult[renewals.size()];
        Map<List<Integer>, RFuture<List<Long>>> sent = new LinkedHashMap<>();
        Map<List<Integer>, RFuture<BatchResult<?>>> batches = new LinkedHashMap<>();
        for (List<Integer> group : groups.values()) {
            List<Object> keys = new ArrayList<>(group.size());
            Object[] args = new Object[group.size() + 1];
            for (int j = 0; j < group.size(); j++) {
                Renewal renewal = renewals.get(group.get(j));
                keys.add(RedisKeys.lockKey(renewal.key()));
                args[j] = renewal.owner();
            }
            args[group.size()] = leaseMillis;
            String routing = (String) keys.get(0);
            try {
                if (acks.replicas() == 0) {
                    sent.put(group, script.evalAsync(routing, RScript.Mode.READ_WRITE, RedisScripts.RENEW_ALL,
                            RScript.ReturnType.MULTI, keys, args));
                } else {
                    RBatch batch = client.createBatch(BatchOptions.defaults()
                            .executionMode(BatchOptions.ExecutionMode.IN_MEMORY)
                            .responseTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
                            .retryAttempts(0)
                            .sync(acks.replicas(), acks.timeout()));
                    sent.put(group, batch.getScript(StringCodec.INSTANCE).evalAsync(routing,
                            RScript.Mode.READ_WRITE, RedisScripts.RENEW_ALL, RScript.ReturnType.MULTI, keys, args));
                    batches.put(group, batch.executeAsync());
                }
            } catch (RuntimeException e) {
                LockBackendException failure = calls.failed("renewing " + group.size() + " locks", e);
                group.forEach(i -> results[i] = RenewalResult.failed(failure));
            }
        }
        for (Map.Entry<List<Integer>, RFuture<List<Long>>> entry : sent.entrySet()) {
            List<Integer> group = entry.getKey();
            String what = "renewing " + group.size() + " lock(s) with '" + renewals.get(group.get(0)).key() + "'";
            try {
                RFuture<BatchResult<?>> batch = batches.get(group);
                int synced = Integer.MAX_VALUE;
                if (batch != null) {
                    synced = calls.awaitReplyUntil(batch, what, "", deadlineNanos, BoundedAwait.Interrupts.FINISH)
                            .getSyncedSlaves();
                }
                List<Long> values = calls.awaitReplyUntil(entry.getValue(), what, "", deadlineNanos,
                        BoundedAwait.Interrupts.FINISH);
                if (values.size() != group.size()) {
                    throw new LockBackendException(what + " on " + calls.description() + " got " + values.size()
                            + " results for " + group.size() + " keys");
                }
                for (int j = 0; j < group.size(); j++) {
                    Long value = values.get(j);
                    if (value == null) {
                        results[group.get(j)] = RenewalResult.failed(new LockBackendException(what + " on "
                                + calls.description() + " got a nil result"));
                    } else if (value != 1) {
                        results[group.get(j)] = RenewalResult.notOwner();
                    } else if (synced < acks.replicas()) {
                        results[group.get(j)] = RenewalResult.failed(new LockBackendException(what + " on "
                                + calls.description() + " was not confirmed by enough replicas: " + synced + " of "
                                + acks.replicas()));
                    } else {
                        results[group.get(j)] = RenewalResult.renewed();
                    }
                }
            } catch (LockBackendException e) {
                group.forEach(i -> results[i] = RenewalResult.failed(e));
            }
        }
        return Arrays.asList(results);
    }

    /**
     * Whether Redis answers the renewal script for a key nobody holds (a read, no write) within half the operation
     * timeout: tells a refused subscription from an unreachable server.
     */
    private boolean answers() {
        try {
            return answersAsync().toCompletableFuture()
                    .get(operationTimeout.dividedBy(2).toMillis() + 50, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    /** As {@link #answers}, without blocking; the stage never fails. */
    private CompletionStage<Boolean> answersAsync() {
        String probeKey = RedisKeys.lockKey("distlock-probe");
        try {
            Duration half = operationTimeout.dividedBy(2);
            RScript quick = client.getScript(OptionalOptions.defaults().codec(StringCodec.INSTANCE)
                    .timeout(half).retryAttempts(0));
            return quick.evalAsync(probeKey, RScript.Mode.READ_WRITE, RedisScripts.RENEW,
                    RScript.ReturnType.INTEGER, List.of(probeKey), "distlock-probe", "1").toCompletableFuture()
                    // A dependent stage times out, never Redisson's own future.
                    .thenApply(value -> true)
                    .orTimeout(half.toMillis() + 50, TimeUnit.MILLISECONDS)
                    .exceptionally(error -> false);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(false);
        }
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, System.nanoTime() + operationTimeout.toNanos());
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        return notifications.add(RedisKeys.lockKey(key), onRelease, key, deadlineNanos);
    }

    /**
     * The subscription without blocking: the first wait of the manager subscribes to the release channel (the stage
     * completes when Redis confirms it); every later one only registers its listener and completes at once.
     */
    @Override
    public CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        return notifications.addAsync(RedisKeys.lockKey(key), onRelease, key, deadlineNanos);
    }

    /** One script: GET and PTTL of the lock key. */
    @Override
    public StoredLock read(String key, long deadlineNanos) {
        return inspection.read(key, deadlineNanos);
    }

    /** One script per page on one master: SCAN with MATCH and COUNT, and GET and PTTL of each key found. */
    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        return inspection.list(keyPrefix, cursor, limit, deadlineNanos);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // First, so that no wait registers a listener on the client from now on (one the caller owns would keep it).
        notifications.close(!ownsClient);
        if (ownsClient) {
            RedisConnection.shutdown(client, operationTimeout);
        }
    }

    @Override
    public String toString() {
        return "RedisLockBackend[" + calls.description() + "]";
    }
}
