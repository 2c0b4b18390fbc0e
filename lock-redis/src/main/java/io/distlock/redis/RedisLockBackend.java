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
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
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

    /**
     * Locks per renewal script on one server, a Sentinel master or a replicated master. 500 keys cost the server
     * about a millisecond in one script (a GET and a PEXPIRE each), short enough not to stall other clients, and
     * make 10,000 held locks about 17 scripts a second (measured) instead of 70 in scripts of 100.
     */
    static final int DEFAULT_RENEWAL_BATCH_SIZE = 500;
    /**
     * Locks per renewal call in a Cluster, where each is one script per hash slot (so mostly one per lock, all
     * pipelined): this only bounds how many scripts one call puts on the connections at once.
     */
    static final int DEFAULT_CLUSTER_RENEWAL_BATCH_SIZE = 100;
    /** The largest renewal batch a builder accepts: beyond it one script would block the server for too long. */
    static final int MAX_RENEWAL_BATCH_SIZE = 10_000;

    private final RedissonClient client;
    private final boolean ownsClient;
    private final RedisCalls calls;
    private final Duration operationTimeout;
    private final String fenceRetentionMillis;
    private final ReplicaAcks acks;
    private final RScript script;
    /** The renewal script's client: arguments already bytes, so Redisson encodes nothing per lock. */
    private final RScript renewScript;
    private final ReleaseNotifications notifications;
    private final RedisInspection inspection;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Whether keys must be grouped by hash slot: one script may only touch keys of one slot in a Cluster. */
    private final boolean cluster;
    private final int renewalBatchSize;

    RedisLockBackend(RedissonClient client, boolean ownsClient, RedisFailures failures, Duration operationTimeout,
                     Duration fenceRetention, ReplicaAcks acks) {
        this(client, ownsClient, failures, operationTimeout, fenceRetention, acks, 0);
    }

    /**
     * @param renewalBatchSize the most locks renewed by one renewal call; 0 for the default of the deployment
     *     ({@link #DEFAULT_RENEWAL_BATCH_SIZE}, or {@link #DEFAULT_CLUSTER_RENEWAL_BATCH_SIZE} in a Cluster)
     */
    RedisLockBackend(RedissonClient client, boolean ownsClient, RedisFailures failures, Duration operationTimeout,
                     Duration fenceRetention, ReplicaAcks acks, int renewalBatchSize) {
        this.cluster = client.getConfig().isClusterConfig();
        this.renewalBatchSize = renewalBatchSize > 0 ? renewalBatchSize
                : cluster ? DEFAULT_CLUSTER_RENEWAL_BATCH_SIZE : DEFAULT_RENEWAL_BATCH_SIZE;
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
        this.renewScript = client.getScript(OptionalOptions.defaults()
                .codec(ByteArrayCodec.INSTANCE)
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
     * What a renewal of one lock needs, encoded once when the core first renews it and reused every third of a lease
     * after: the Redis key and the owner line as bytes, and the Cluster slot. At 10,000 held locks, building and
     * encoding these at every renewal was a large part of the client's renewal work; kept, they cost about 200 bytes
     * of heap per held lock.
     */
    static final class Prepared {
        final byte[] lockKey;
        /** The owner's bytes followed by a newline, as {@link RedisScripts#RENEW_PACKED} reads them. */
        final byte[] ownerLine;
        /** The lock key's Cluster hash slot; -1 when not in a Cluster. */
        final int slot;

        private Prepared(byte[] lockKey, byte[] ownerLine, int slot) {
            this.lockKey = lockKey;
            this.ownerLine = ownerLine;
            this.slot = slot;
        }
    }

    @Override
    public Renewal renewal(String key, String owner) {
        Prepared prepared = prepare(key, owner);
        return prepared == null ? new Renewal(key, owner) : new Renewal(key, owner, prepared);
    }

    /** The prepared form of a renewal; null for an owner with a newline (never one of the core's). */
    private Prepared prepare(String key, String owner) {
        if (owner.indexOf('\n') >= 0) {
            return null;
        }
        String lockKey = RedisKeys.lockKey(key);
        byte[] ownerBytes = owner.getBytes(StandardCharsets.UTF_8);
        byte[] line = Arrays.copyOf(ownerBytes, ownerBytes.length + 1);
        line[ownerBytes.length] = '\n';
        return new Prepared(lockKey.getBytes(StandardCharsets.UTF_8), line, cluster ? RedisKeys.slot(lockKey) : -1);
    }

    /** The renewal's own preparation, or one made now (a renewal the core did not get from {@link #renewal}). */
    private Prepared prepared(Renewal renewal) {
        return renewal.attachment() instanceof Prepared prepared ? prepared
                : prepare(renewal.key(), renewal.owner());
    }

    @Override
    public int renewalBatchSize() {
        return renewalBatchSize;
    }

    /** Waits for {@link #renewAllAsync} until {@code deadlineNanos}; keys not answered by then are failed. */
    @Override
    public List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        String what = "renewing " + renewals.size() + " lock(s)";
        try {
            return BoundedAwait.until(renewAllAsync(renewals, lease, deadlineNanos).toCompletableFuture(),
                    Math.min(deadlineNanos, System.nanoTime() + operationTimeout.toNanos()),
                    BoundedAwait.Interrupts.FINISH, new BoundedAwait.Failures() {
                        @Override
                        public LockBackendException timedOut(java.util.concurrent.TimeoutException e) {
                            return calls.failures().timedOut(what, operationTimeout.toMillis(), "", e);
                        }

                        @Override
                        public LockBackendException interrupted(InterruptedException e) {
                            return new LockBackendException(what + " on " + calls.description()
                                    + " was interrupted", e);
                        }

                        @Override
                        public LockBackendException failed(Throwable cause) {
                            return calls.failed(what, cause);
                        }
                    });
        } catch (LockBackendException e) {
            return java.util.Collections.nCopies(renewals.size(), RenewalResult.failed(e));
        }
    }

    /**
     * One script for all the keys on a single server, Sentinel master or replicated master (a batch is up to
     * {@link #renewalBatchSize()} keys, 500 by default), or one per Cluster hash slot among them (every lock key has
     * its own hash tag, so these are mostly one key each), all sent at once without waiting: the core keeps several
     * batches in flight, so 100,000 held locks need neither a thread per batch nor one round trip after another.
     * With replica acknowledgements each group is pipelined with {@code WAIT}. The stage never completes
     * exceptionally: a group that failed (timed out after the operation timeout, which Redisson enforces per call)
     * has {@code FAILED} results.
     */
    @Override
    public CompletionStage<List<RenewalResult>> renewAllAsync(List<Renewal> renewals, Duration lease,
                                                              long deadlineNanos) {
        byte[] leaseMillis = Long.toString(lease.toMillis()).getBytes(StandardCharsets.US_ASCII);
        RenewalResult[] results = new RenewalResult[renewals.size()];
        Prepared[] prepared = new Prepared[renewals.size()];
        for (int i = 0; i < prepared.length; i++) {
            Prepared p = prepared(renewals.get(i));
            if (p == null) {
                results[i] = RenewalResult.failed(new LockBackendException("renewing lock '" + renewals.get(i).key()
                        + "': its owner contains a newline, which no owner may"));
            }
            prepared[i] = p;
        }
        if (!cluster) {
            return renewGroup(renewals, prepared, null, leaseMillis, results)
                    .thenApply(done -> Arrays.asList(results));
        }
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < renewals.size(); i++) {
            if (prepared[i] != null) {
                groups.computeIfAbsent(prepared[i].slot, g -> new ArrayList<>(1)).add(i);
            }
        }
        CompletableFuture<?>[] parts = new CompletableFuture<?>[groups.size()];
        int part = 0;
        for (List<Integer> group : groups.values()) {
            parts[part++] = renewGroup(renewals, prepared, group, leaseMillis, results);
        }
        // Every part has written its results before it completes, so allOf's dependents see them all.
        return CompletableFuture.allOf(parts).thenApply(done -> Arrays.asList(results));
    }

    /**
     * Sends one renewal script ({@link RedisScripts#RENEW_PACKED}) for {@code group} (indices into
     * {@code renewals}; null: all of them that are {@code prepared}) and fills their places in {@code results} when
     * it answers. The returned future completes normally, after the results are set.
     */
    private CompletableFuture<Void> renewGroup(List<Renewal> renewals, Prepared[] prepared, List<Integer> group,
                                               byte[] leaseMillis, RenewalResult[] results) {
        if (group == null) {
            group = new ArrayList<>(renewals.size());
            for (int i = 0; i < prepared.length; i++) {
                if (prepared[i] != null) {
                    group.add(i);
                }
            }
            if (group.size() == prepared.length) {
                group = null;
            } else if (group.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
        }
        List<Integer> indices = group;
        int size = indices == null ? renewals.size() : indices.size();
        List<Object> keys = new ArrayList<>(size);
        int ownersLength = 0;
        for (int j = 0; j < size; j++) {
            Prepared p = prepared[indices == null ? j : indices.get(j)];
            keys.add(p.lockKey);
            ownersLength += p.ownerLine.length;
        }
        byte[] owners = new byte[ownersLength];
        int at = 0;
        for (int j = 0; j < size; j++) {
            byte[] line = prepared[indices == null ? j : indices.get(j)].ownerLine;
            System.arraycopy(line, 0, owners, at, line.length);
            at += line.length;
        }
        Object[] args = {owners, leaseMillis};
        String routing = new String((byte[]) keys.get(0), StandardCharsets.UTF_8);
        String first = renewals.get(indices == null ? 0 : indices.get(0)).key();
        CompletableFuture<Object> values;
        CompletableFuture<BatchResult<?>> batch = null;
        try {
            if (acks.replicas() == 0) {
                values = renewScript.evalAsync(routing, RScript.Mode.READ_WRITE, RedisScripts.RENEW_PACKED,
                        RScript.ReturnType.VALUE, keys, args).toCompletableFuture();
            } else {
                RBatch pipeline = client.createBatch(BatchOptions.defaults()
                        .executionMode(BatchOptions.ExecutionMode.IN_MEMORY)
                        .responseTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
                        .retryAttempts(0)
                        .sync(acks.replicas(), acks.timeout()));
                values = pipeline.getScript(ByteArrayCodec.INSTANCE).evalAsync(routing,
                        RScript.Mode.READ_WRITE, RedisScripts.RENEW_PACKED, RScript.ReturnType.VALUE, keys, args)
                        .toCompletableFuture();
                batch = pipeline.executeAsync().toCompletableFuture();
            }
        } catch (RuntimeException e) {
            fill(results, indices, size, RenewalResult.failed(calls.failed(renewing(size, first), e)));
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?> answered = batch == null ? values : batch;
        CompletableFuture<BatchResult<?>> synced = batch;
        return answered.handle((ignored, failure) -> {
            String what = renewing(size, first);
            if (failure != null) {
                fill(results, indices, size, RenewalResult.failed(renewalFailure(what, failure)));
                return null;
            }
            Object reply;
            try {
                reply = values.getNow(null);
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                fill(results, indices, size, RenewalResult.failed(renewalFailure(what, e)));
                return null;
            }
            int replicas = synced == null ? Integer.MAX_VALUE : synced.getNow(null).getSyncedSlaves();
            byte[] replies = reply instanceof byte[] bytes ? bytes
                    : reply instanceof String text ? text.getBytes(StandardCharsets.US_ASCII) : null;
            if (replies == null || replies.length != size) {
                fill(results, indices, size, RenewalResult.failed(new LockBackendException(what + " on "
                        + calls.description() + " got " + (replies == null ? "no value (a nil reply)"
                        : replies.length + " results") + " for " + size + " keys")));
                return null;
            }
            for (int j = 0; j < size; j++) {
                byte value = replies[j];
                RenewalResult result;
                if (value != '1' && value != '0') {
                    result = RenewalResult.failed(new LockBackendException(what + " on " + calls.description()
                            + " got an unexpected result"));
                } else if (value == '0') {
                    result = RenewalResult.notOwner();
                } else if (replicas < acks.replicas()) {
                    result = RenewalResult.failed(new LockBackendException(what + " on " + calls.description()
                            + " was not confirmed by enough replicas: " + replicas + " of " + acks.replicas()));
                } else {
                    result = RenewalResult.renewed();
                }
                results[indices == null ? j : indices.get(j)] = result;
            }
            return null;
        });
    }

    private static String renewing(int size, String firstKey) {
        return "renewing " + size + " lock(s) with '" + firstKey + "'";
    }

    private static void fill(RenewalResult[] results, List<Integer> group, int size, RenewalResult result) {
        for (int j = 0; j < size; j++) {
            results[group == null ? j : group.get(j)] = result;
        }
    }

    /** A renewal call's failure as every call's failure is reported; Redisson's own timeout is a timeout. */
    private LockBackendException renewalFailure(String what, Throwable failure) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof org.redisson.client.RedisTimeoutException) {
            return calls.failures().timedOut(what, operationTimeout.toMillis(), "", cause);
        }
        return calls.failed(what, cause);
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
