package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockLoss;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The etcd {@link LockBackend}: one key per held lock, {@code /<namespace>/locks/<key>}, whose value is the owner id
 * and which is attached to a lease.
 * <ul>
 *   <li><b>acquire</b> = one transaction: {@code If(createRevision(key) == 0) Then(put(key, owner, lease))
 *       Else(get(key))}. Success means acquired, and the revision of that transaction is the key's create revision:
 *       the fencing token. Failure means held, unless the stored owner is ours (a retried transaction whose first
 *       attempt was applied), which is acquired with the stored create revision.</li>
 *   <li><b>release</b> = one transaction: {@code If(value(key) == owner) Then(delete(key))}: never a successor's.</li>
 *   <li><b>leases</b>: with renewal on, every lock of this backend is attached to <em>one</em> lease, granted on the
 *       first acquisition and kept alive by one keep-alive request per third of its TTL, however many locks are held
 *       (the shape of a ZooKeeper session). When etcd says the lease is gone, or no keep-alive was confirmed for a
 *       whole TTL (counted from when the last confirmed request was <em>sent</em>, so never later than etcd can
 *       expire it), every lock on it is reported lost and the next acquisition grants a new lease. In fixed-lease
 *       mode (renewal off) each lock gets its own lease, granted just before its transaction: two round trips.</li>
 *   <li><b>waiting</b> = a watch on the key, created (and confirmed by etcd) before the core's attempt, so a delete
 *       after that attempt is always seen.</li>
 * </ul>
 * A transaction whose outcome is unknown (no answer in time) may have put our key on the shared lease, which would
 * keep it locked as long as this backend lives: such keys and failed releases are remembered and deleted (if still
 * ours) on the next keep-alive rounds. Every call is bounded by the operation timeout.
 *
 * <p>Thread safe. Callbacks run on jetcd's threads and never block.
 */
final class EtcdLockBackend implements LockBackend, LockInspection {

    private static final Logger log = LoggerFactory.getLogger(EtcdLockBackend.class);
    private static final LossListener NO_LISTENER = (key, owner, reason, cause) -> { };
    private static final String ACQUIRING = "acquiring";
    private static final String RELEASING = "releasing";

    private final Client client;
    private final boolean ownsClient;
    private final String locksPrefix;
    private final boolean fixedLease;
    /** The lease TTL asked for, in whole seconds (etcd's unit), rounded up from the settings' lease. */
    private final long ttlSeconds;
    private final EtcdCalls calls;
    private final ScheduledThreadPoolExecutor timer;
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Held, Boolean> orphans = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile LossListener lossListener = NO_LISTENER;
    /** The shared lease, granted or being granted; null before the first acquisition. Guarded by {@code this}. */
    private volatile CompletableFuture<SharedLease> sharedLease;

    /** A key this backend put and has not released: its owner and the lease it is attached to. */
    private record Held(String key, String owner, long leaseId, long acquiredAt) {
    }

    /**
     * @param client the jetcd client
     * @param ownsClient whether {@link #close()} closes the client
     * @param namespacePrefix {@code /<namespace>/}
     * @param lease the lock lease of the settings
     * @param renewal whether locks are kept alive (shared lease) or expire after one lease (a lease per lock)
     * @param timeout the bound of every call
     * @param description where the calls go, for messages
     */
    EtcdLockBackend(Client client, boolean ownsClient, String namespacePrefix, Duration lease, boolean renewal,
                    Duration timeout, String description) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.locksPrefix = namespacePrefix + "locks/";
        this.fixedLease = !renewal;
        this.ttlSeconds = ttlSeconds(lease);
        this.calls = new EtcdCalls(timeout, description);
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "distlock-etcd-keepalive");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** etcd counts lease TTLs in whole seconds: a lease is rounded up, so a key never expires before its lease. */
    static long ttlSeconds(Duration lease) {
        long seconds = lease.getSeconds() + (lease.getNano() > 0 ? 1 : 0);
        return Math.max(1, seconds);
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public void setLossListener(LossListener listener) {
        this.lossListener = listener;
    }

    @Override
    public boolean needsRenewal() {
        // Shared lease: kept alive here for all locks at once, and its loss is reported through the listener.
        // Fixed leases: the core tracks each lock's local deadline and reports it lost when it ends; it never
        // renews (renewal is off).
        return fixedLease;
    }

    // ---- acquire ----

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        return tryAcquire(key, owner, lease, calls.deadline());
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadline) {
        String what = what(ACQUIRING, key);
        // A lease etcd no longer knows (expired between our last keep-alive and this call) fails the whole
        // transaction, so nothing was written: one retry on a fresh lease.
        for (int attempt = 1; ; attempt++) {
            long leaseId;
            SharedLease shared = null;
            if (fixedLease) {
                LeaseGrantResponse granted = calls.await(grant(), deadline, false, what + " (granting its lease)");
                leaseId = granted.getID();
            } else {
                shared = sharedLease(deadline, what);
                leaseId = shared.id;
            }
            try {
                return attempt(key, owner, leaseId, shared, deadline, what);
            } catch (LockBackendException e) {
                if (attempt == 1 && EtcdCalls.isLeaseNotFound(e.getCause())) {
                    if (shared != null) {
                        sharedLeaseLost(shared, LockLoss.Reason.SESSION_LOST, e.getCause());
                    }
                    continue;
                }
                if (fixedLease) {
                    revokeQuietly(leaseId);
                }
                throw e;
            }
        }
    }

    private AcquireResult attempt(String key, String owner, long leaseId, SharedLease shared, long deadline,
                                  String what) {
        TxnResponse response;
        try {
            response = calls.await(sendAcquire(key, owner, leaseId), deadline, false, what);
        } catch (LockBackendException e) {
            unknownAcquire(key, owner, leaseId, e);
            throw e;
        }
        return outcome(key, owner, leaseId, shared, response, what);
    }

    private CompletableFuture<TxnResponse> sendAcquire(String key, String owner, long leaseId) {
        ByteSequence etcdKey = etcdKey(key);
        return client.getKVClient().txn()
                .If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(etcdKey, bytes(owner), PutOption.builder().withLeaseId(leaseId).build()))
                .Else(Op.get(etcdKey, GetOption.DEFAULT))
                .commit();
    }

    /**
     * After an acquire transaction that failed: the put may have been applied (no answer in time, a connection lost
     * after sending) and, on the shared lease, would hold the key as long as this backend lives, so it is deleted once
     * we can, if it is still ours. A lease etcd does not know fails the whole transaction; a fixed lease ends anyway.
     */
    private void unknownAcquire(String key, String owner, long leaseId, LockBackendException e) {
        if (!fixedLease && !EtcdCalls.isLeaseNotFound(e.getCause())) {
            addOrphan(new Held(key, owner, leaseId, System.nanoTime()));
        }
    }

    /** What an answered acquire transaction means; registers the lock if acquired. Never blocks. */
    private AcquireResult outcome(String key, String owner, long leaseId, SharedLease shared, TxnResponse response,
                                  String what) {
        long token;
        if (response.isSucceeded()) {
            token = response.getHeader().getRevision();
        } else {
            List<KeyValue> kvs = response.getGetResponses().isEmpty() ? List.of()
                    : response.getGetResponses().get(0).getKvs();
            if (kvs.isEmpty()) {
                // Deleted between the compare and the get cannot happen inside one transaction; treat as held to
                // stay on the safe side, the waiter retries.
                if (fixedLease) {
                    revokeQuietly(leaseId);
                }
                return AcquireResult.held();
            }
            KeyValue kv = kvs.get(0);
            if (!kv.getValue().equals(bytes(owner))) {
                if (fixedLease) {
                    revokeQuietly(leaseId);
                }
                return AcquireResult.held();
            }
            // Ours: jetcd retried a transaction whose first attempt was applied.
            token = kv.getCreateRevision();
        }
        Held entry = new Held(key, owner, leaseId, System.nanoTime());
        held.put(key, entry);
        // Registered first, checked second: a lease loss after this check finds the entry and reports it.
        if (shared != null && shared.dead) {
            held.remove(key, entry);
            throw new LockBackendException(what + " on " + calls.description() + ": the manager's lease ended "
                    + "while the lock was being acquired; not acquired (the key frees with the lease)");
        }
        return AcquireResult.acquired(token);
    }

    /**
     * {@link #tryAcquire(String, String, Duration, long)} without blocking: jetcd's futures chained, the lease (the
     * shared one, granted once; or a fresh grant in fixed-lease mode) then the transaction, with the same one retry on
     * a fresh lease when etcd no longer knows the shared one. Bounded by the deadline; completes on jetcd's threads.
     */
    @Override
    public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                          long deadlineNanos) {
        long deadline = Math.min(deadlineNanos, calls.deadline());
        CompletableFuture<AcquireResult> result = new CompletableFuture<>();
        try {
            acquireAsync(key, owner, deadline, 1, result);
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
        }
        return result;
    }

    private void acquireAsync(String key, String owner, long deadline, int attempt,
                              CompletableFuture<AcquireResult> result) {
        String what = what(ACQUIRING, key);
        CompletableFuture<SharedLease> shared = fixedLease ? null
                : calls.within(sharedLeaseStage(), deadline, false, what + " (granting the manager's lease)");
        CompletableFuture<Long> leaseId = fixedLease
                ? calls.within(grant(), deadline, true, what + " (granting its lease)").thenApply(LeaseGrantResponse::getID)
                : shared.thenApply(lease -> lease.id);
        leaseId.whenComplete((id, leaseError) -> {
            if (leaseError != null) {
                result.completeExceptionally(unwrap(leaseError));
                return;
            }
            SharedLease sharedLease = shared == null ? null : shared.join();
            calls.within(sendAcquire(key, owner, id), deadline, true, what).whenComplete((response, error) -> {
                if (error != null) {
                    LockBackendException e = (LockBackendException) unwrap(error);
                    unknownAcquire(key, owner, id, e);
                    if (attempt == 1 && EtcdCalls.isLeaseNotFound(e.getCause())) {
                        if (sharedLease != null) {
                            sharedLeaseLost(sharedLease, LockLoss.Reason.SESSION_LOST, e.getCause());
                        }
                        acquireAsync(key, owner, deadline, 2, result);
                        return;
                    }
                    if (fixedLease) {
                        revokeQuietly(id);
                    }
                    result.completeExceptionally(e);
                    return;
                }
                try {
                    result.complete(outcome(key, owner, id, sharedLease, response, what));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        });
    }

    private static Throwable unwrap(Throwable error) {
        while (error instanceof java.util.concurrent.CompletionException && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    // ---- release ----

    @Override
    public boolean release(String key, String owner) {
        Held entry = held.get(key);
        if (entry != null && entry.owner.equals(owner)) {
            held.remove(key, entry);
        } else {
            // Not ours as far as we know (lost, or an acquisition whose answer never came): the owner-checked delete
            // is still sent, so a compensating release after an ambiguous acquire frees what it may have taken.
            entry = null;
        }
        long deadline = calls.deadline();
        CompletableFuture<TxnResponse> future = conditionalDelete(key, owner);
        try {
            return calls.await(future, deadline, true, what(RELEASING, key)).isSucceeded();
        } catch (LockBackendException e) {
            if (!fixedLease && entry != null) {
                // On the shared lease the key would stay locked as long as this backend lives: retried later.
                addOrphan(entry);
            }
            throw e;
        } finally {
            if (fixedLease && entry != null) {
                revokeQuietly(entry.leaseId);
            }
        }
    }

    private CompletableFuture<TxnResponse> conditionalDelete(String key, String owner) {
        ByteSequence etcdKey = etcdKey(key);
        return client.getKVClient().txn()
                .If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.value(bytes(owner))))
                .Then(Op.delete(etcdKey, DeleteOption.DEFAULT))
                .commit();
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        // Not called by the core: fixed leases are never renewed, and the shared lease is kept alive here. Answer
        // truthfully anyway: the lock's own lease, kept alive once.
        Held entry = held.get(key);
        if (entry == null || !entry.owner.equals(owner)) {
            return false;
        }
        long deadline = calls.deadline();
        try {
            return calls.await(client.getLeaseClient().keepAliveOnce(entry.leaseId), deadline, false,
                    "renewing lock '" + key + "'").getTTL() > 0;
        } catch (LockBackendException e) {
            if (EtcdCalls.isLeaseNotFound(e.getCause())) {
                return false;
            }
            throw e;
        }
    }

    // ---- inspection ----

    /**
     * A get of the key (owner = value, token = create revision), then the TTL of its lease: two round trips, as etcd
     * has no request that reads a key together with its lease's remaining time.
     */
    @Override
    public StoredLock read(String key, long deadlineNanos) {
        String what = "reading lock '" + key + "'";
        long deadline = Math.min(deadlineNanos, calls.deadline());
        GetResponse response = calls.await(client.getKVClient().get(etcdKey(key)), deadline, false, what);
        if (response.getKvs().isEmpty()) {
            return null;
        }
        KeyValue kv = response.getKvs().get(0);
        Map<Long, Long> remaining = leaseRemaining(Set.of(kv.getLease()), deadline, what);
        return stored(key, kv, remaining);
    }

    /**
     * One range read from the cursor to the end of the prefix, at most {@code limit} keys, in key order, then the TTL
     * of each distinct lease of the page, all at once: a manager puts all its locks on one lease, so a page costs two
     * round trips, however many locks it holds. The cursor is the last key of the page before.
     */
    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        if (cursor != null && !cursor.startsWith(keyPrefix)) {
            throw new IllegalArgumentException("not a cursor of this etcd lock listing of '" + keyPrefix + "': "
                    + cursor);
        }
        String what = "listing locks '" + keyPrefix + "*'";
        long deadline = Math.min(deadlineNanos, calls.deadline());
        ByteSequence prefix = etcdKey(keyPrefix);
        // Right after the cursor: the cursor's key followed by a zero byte is the next possible key.
        ByteSequence from = cursor == null ? prefix : etcdKey(cursor).concat(ByteSequence.from(new byte[] {0}));
        GetOption range = GetOption.builder().withRange(OptionsUtil.prefixEndOf(prefix)).withLimit(limit)
                .withSortField(GetOption.SortTarget.KEY).withSortOrder(GetOption.SortOrder.ASCEND).build();
        GetResponse response = calls.await(client.getKVClient().get(from, range), deadline, false, what);
        List<KeyValue> kvs = response.getKvs();
        Set<Long> leases = new HashSet<>();
        kvs.forEach(kv -> leases.add(kv.getLease()));
        Map<Long, Long> remaining = leaseRemaining(leases, deadline, what);
        List<StoredLock> locks = new ArrayList<>(kvs.size());
        String last = null;
        for (KeyValue kv : kvs) {
            last = kv.getKey().toString(StandardCharsets.UTF_8).substring(locksPrefix.length());
            locks.add(stored(last, kv, remaining));
        }
        return new Page(locks, response.isMore() && last != null ? last : null);
    }

    /** The remaining TTL of each lease in nanoseconds, asked for all at once; 0 for a lease etcd no longer has. */
    private Map<Long, Long> leaseRemaining(Set<Long> leaseIds, long deadline, String what) {
        Map<Long, CompletableFuture<LeaseTimeToLiveResponse>> asked = new HashMap<>();
        for (long id : leaseIds) {
            if (id != 0) {
                asked.put(id, client.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT));
            }
        }
        Map<Long, Long> remaining = new HashMap<>();
        for (Map.Entry<Long, CompletableFuture<LeaseTimeToLiveResponse>> entry : asked.entrySet()) {
            long ttl;
            try {
                ttl = calls.await(entry.getValue(), deadline, false, what + " (the TTL of lease "
                        + Long.toHexString(entry.getKey()) + ")").getTTL();
            } catch (LockBackendException e) {
                if (!EtcdCalls.isLeaseNotFound(e.getCause())) {
                    throw e;
                }
                ttl = 0;
            }
            remaining.put(entry.getKey(), TimeUnit.SECONDS.toNanos(Math.max(0, ttl)));
        }
        return remaining;
    }

    private static StoredLock stored(String key, KeyValue kv, Map<Long, Long> remaining) {
        // A key without a lease (not one of ours: every lock is put with a lease) never expires: -1, as a session's.
        long lease = kv.getLease() == 0 ? -1 : remaining.getOrDefault(kv.getLease(), 0L);
        return new StoredLock(key, kv.getValue().toString(StandardCharsets.UTF_8), kv.getCreateRevision(), lease);
    }

    // ---- waiting ----

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, calls.deadline());
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadline) {
        KeyWatch watch = watch(key, onRelease);
        try {
            // Confirmed before the core's attempt: a delete after that attempt is then always delivered.
            calls.await(watch.created, deadline, false, "watching lock '" + key + "'");
        } catch (RuntimeException e) {
            watch.close();
            throw e;
        }
        return watch;
    }

    /**
     * As the blocking form: the stage completes once etcd confirmed the watch (so a delete after the core's next
     * attempt is delivered), on jetcd's thread, or fails by the deadline, closing the watch.
     */
    @Override
    public CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        long deadline = Math.min(deadlineNanos, calls.deadline());
        KeyWatch watch = watch(key, onRelease);
        CompletableFuture<Subscription> result = new CompletableFuture<>();
        calls.within(watch.created, deadline, false, "watching lock '" + key + "'").whenComplete((v, error) -> {
            if (error != null) {
                watch.close();
                result.completeExceptionally(unwrap(error));
            } else if (!result.complete(watch)) {
                watch.close();
            }
        });
        return result;
    }

    /** A watch of one key for deletes; {@code created} completes when etcd confirmed it. */
    private static final class KeyWatch implements Subscription {
        final CompletableFuture<Void> created = new CompletableFuture<>();
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile Watch.Watcher watcher;

        @Override
        public void close() {
            if (done.compareAndSet(false, true)) {
                watcher.close();
            }
        }
    }

    private KeyWatch watch(String key, Runnable onRelease) {
        KeyWatch watch = new KeyWatch();
        Watch.Listener listener = new Watch.Listener() {
            @Override
            public void onNext(WatchResponse response) {
                if (response.isCreatedNotify()) {
                    watch.created.complete(null);
                }
                for (WatchEvent event : response.getEvents()) {
                    if (event.getEventType() == WatchEvent.EventType.DELETE) {
                        onRelease.run();
                        return;
                    }
                }
            }

            @Override
            public void onError(Throwable error) {
                // The waiter's next attempt reports what is wrong; until then this wake-up is merely spurious.
                watch.created.completeExceptionally(error);
                onRelease.run();
            }

            @Override
            public void onCompleted() {
                onRelease.run();
            }
        };
        watch.watcher = client.getWatchClient().watch(etcdKey(key),
                WatchOption.builder().withCreateNotify(true).withNoPut(true).build(), listener);
        return watch;
    }

    // ---- the shared lease ----

    /** The manager's lease, granting it first if there is none or it ended. */
    private SharedLease sharedLease(long deadline, String what) {
        return calls.await(sharedLeaseStage(), deadline, false, what + " (granting the manager's lease)");
    }

    /** The manager's lease as a future, starting its grant if there is none or it ended; never blocks. */
    private CompletableFuture<SharedLease> sharedLeaseStage() {
        CompletableFuture<SharedLease> current = sharedLease;
        if (current == null || isUnusable(current)) {
            synchronized (this) {
                current = sharedLease;
                if (current == null || isUnusable(current)) {
                    current = grantShared();
                    sharedLease = current;
                }
            }
        }
        return current;
    }

    private static boolean isUnusable(CompletableFuture<SharedLease> lease) {
        return lease.isCompletedExceptionally() || lease.isCancelled() || (lease.isDone() && lease.join().dead);
    }

    private CompletableFuture<SharedLease> grantShared() {
        long sentAt = System.nanoTime();
        CompletableFuture<SharedLease> result = new CompletableFuture<>();
        grant().whenComplete((response, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
                return;
            }
            SharedLease lease = new SharedLease(response.getID(), response.getTTL());
            if (closed.get()) {
                revokeQuietly(lease.id);
                result.completeExceptionally(new IllegalStateException("closed"));
                return;
            }
            lease.confirmed(sentAt);
            log.debug("granted lease {} (ttl {} s) on {}", Long.toHexString(lease.id), lease.ttlSeconds,
                    calls.description());
            result.complete(lease);
            lease.scheduleKeepAlive();
        });
        return result;
    }

    private CompletableFuture<LeaseGrantResponse> grant() {
        // With a gRPC deadline too: a grant nobody waits for any more must not linger.
        return client.getLeaseClient().grant(ttlSeconds, calls.timeoutNanos(), TimeUnit.NANOSECONDS);
    }

    /** Marks {@code lease} dead once and reports every lock on it lost. */
    private void sharedLeaseLost(SharedLease lease, LockLoss.Reason reason, Throwable cause) {
        if (!lease.die()) {
            return;
        }
        int lost = 0;
        for (Held entry : held.values()) {
            if (entry.leaseId == lease.id && held.remove(entry.key, entry)) {
                lost++;
                lossListener.lost(entry.key, entry.owner, reason, cause);
            }
        }
        orphans.keySet().removeIf(orphan -> orphan.leaseId == lease.id);
        if (lost > 0) {
            log.warn("etcd lease {} of this lock manager ended ({}) on {}: {} held locks are lost",
                    Long.toHexString(lease.id), reason, calls.description(), lost);
        }
        // If etcd still has it (we could not reach it in time), it ends within its TTL: nobody keeps it alive now.
        revokeQuietly(lease.id);
    }

    /**
     * One lease for every lock of this backend. Kept alive by one request per third of its TTL; its deadline is the
     * send time of the last confirmed keep-alive plus the TTL, which is never later than etcd's own, and a timer
     * fires exactly then to report the loss if nothing newer was confirmed.
     */
    private final class SharedLease {
        final long id;
        final long ttlSeconds;
        final long ttlNanos;
        volatile boolean dead;
        /** {@link System#nanoTime()} at which the lease ends unless a newer keep-alive is confirmed. */
        private volatile long confirmedUntil;
        private ScheduledFuture<?> deadlineCheck;
        private final AtomicBoolean dying = new AtomicBoolean();

        SharedLease(long id, long ttlSeconds) {
            this.id = id;
            this.ttlSeconds = ttlSeconds;
            this.ttlNanos = TimeUnit.SECONDS.toNanos(ttlSeconds);
        }

        boolean die() {
            if (!dying.compareAndSet(false, true)) {
                return false;
            }
            dead = true;
            return true;
        }

        /** A keep-alive sent at {@code sentAt} was confirmed by etcd. */
        synchronized void confirmed(long sentAt) {
            long until = sentAt + ttlNanos;
            if (dead || until - confirmedUntil <= 0 && confirmedUntil != 0) {
                return;
            }
            confirmedUntil = until;
            if (deadlineCheck != null) {
                deadlineCheck.cancel(false);
            }
            try {
                deadlineCheck = timer.schedule(this::checkDeadline, Math.max(0, until - System.nanoTime()),
                        TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closing: nothing to watch any more.
            }
        }

        private void checkDeadline() {
            if (!dead && System.nanoTime() - confirmedUntil >= 0) {
                sharedLeaseLost(this, LockLoss.Reason.BACKEND_UNREACHABLE, new LockBackendException("no keep-alive "
                        + "of lease " + Long.toHexString(id) + " was confirmed by " + calls.description()
                        + " for its whole TTL of " + ttlSeconds + " s"));
            }
        }

        void scheduleKeepAlive() {
            long period = Math.max(TimeUnit.MILLISECONDS.toNanos(100), ttlNanos / 3);
            try {
                timer.scheduleWithFixedDelay(this::keepAlive, period, period, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closing.
            }
        }

        private void keepAlive() {
            if (dead || closed.get()) {
                throw new IllegalStateException("lease over"); // ends the periodic task
            }
            long sentAt = System.nanoTime();
            CompletableFuture<LeaseKeepAliveResponse> reply = client.getLeaseClient().keepAliveOnce(id);
            reply.orTimeout(ttlNanos, TimeUnit.NANOSECONDS).whenComplete((response, error) -> {
                if (error == null && response.getTTL() > 0) {
                    confirmed(sentAt);
                } else if (error == null || EtcdCalls.isLeaseNotFound(error)) {
                    // etcd says the lease is gone: expired (we were cut off longer than its TTL) or revoked.
                    sharedLeaseLost(this, LockLoss.Reason.SESSION_LOST, error != null ? error
                            : new LockBackendException("etcd reports lease " + Long.toHexString(id) + " expired"));
                } else {
                    log.debug("keep-alive of lease {} failed; retrying within its TTL", Long.toHexString(id), error);
                }
            });
            checkAttachedKeys(sentAt);
            cleanOrphans(ttlNanos);
        }

        /**
         * Finds locks whose key was deleted or overwritten behind our back (an operator's {@code etcdctl del}, a
         * clean-up job): etcd lists the keys still attached to the lease, in one request whatever their number, and
         * a lock taken before the list was asked for but missing from it is lost.
         */
        private void checkAttachedKeys(long sentAt) {
            boolean any = false;
            for (Held entry : held.values()) {
                if (entry.leaseId == id) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return;
            }
            client.getLeaseClient().timeToLive(id, LeaseOption.builder().withAttachedKeys().build())
                    .orTimeout(ttlNanos, TimeUnit.NANOSECONDS).whenComplete((response, error) -> {
                        if (error != null || dead) {
                            return; // the keep-alive decides about the lease itself
                        }
                        if (response.getTTL() <= 0) {
                            return; // gone: the keep-alive reports it with the lease's own reason
                        }
                        Set<ByteSequence> attached = new HashSet<>(response.getKeys());
                        // Only locks taken a keep-alive period before the list was asked for: in a cluster the
                        // leader, which answers, may apply a just acknowledged put a moment after the member that
                        // acknowledged it.
                        long takenBefore = sentAt - ttlNanos / 3;
                        for (Held entry : held.values()) {
                            if (entry.leaseId == id && entry.acquiredAt - takenBefore < 0
                                    && !attached.contains(etcdKey(entry.key)) && held.remove(entry.key, entry)) {
                                log.warn("lock '{}' was deleted or overwritten in etcd by someone else ({})",
                                        entry.key, calls.description());
                                lossListener.lost(entry.key, entry.owner, LockLoss.Reason.NOT_OWNER,
                                        new LockBackendException("the key of lock '" + entry.key + "' is no longer "
                                                + "attached to lease " + Long.toHexString(id)
                                                + ": deleted or overwritten by someone else"));
                            }
                        }
                    });
        }
    }

    // ---- orphans: keys of ours whose put or delete had an unknown outcome ----

    private void addOrphan(Held orphan) {
        if (!closed.get()) {
            orphans.put(orphan, Boolean.TRUE);
        }
    }

    /**
     * Sends the owner-checked delete of every orphan, and keeps sending it each round until a lease and an operation
     * timeout have passed since the failure: a request stuck in a paused server's socket, or queued by the client
     * while disconnected, can still be applied after our first delete found nothing. Later than that it can only
     * attach the key to a lease etcd has expired or that nobody keeps alive.
     */
    private void cleanOrphans(long leaseTtlNanos) {
        long now = System.nanoTime();
        long window = leaseTtlNanos + calls.timeoutNanos();
        for (Held orphan : orphans.keySet()) {
            boolean last = now - orphan.acquiredAt - window > 0;
            conditionalDelete(orphan.key, orphan.owner).whenComplete((response, error) -> {
                if (error == null) {
                    if (response.isSucceeded()) {
                        log.debug("deleted orphaned lock key '{}' on {}", orphan.key, calls.description());
                    }
                    if (last) {
                        orphans.remove(orphan);
                    }
                }
            });
        }
    }

    // ---- closing ----

    /**
     * Closes the backend: stops the keep-alives and revokes the shared lease (bounded by the operation timeout),
     * which deletes every key still on it at once, then closes an owned client. If etcd cannot be reached, the keys
     * free when the lease's TTL runs out.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        timer.shutdownNow();
        CompletableFuture<SharedLease> current;
        synchronized (this) {
            current = sharedLease;
        }
        if (current != null && current.isDone() && !isUnusable(current)) {
            SharedLease lease = current.join();
            lease.die();
            try {
                calls.await(client.getLeaseClient().revoke(lease.id), calls.deadline(), true, "revoking lease "
                        + Long.toHexString(lease.id));
            } catch (LockBackendException e) {
                log.warn("closing the etcd lock manager: could not revoke its lease {}; its keys free within {} s",
                        Long.toHexString(lease.id), lease.ttlSeconds, e);
            }
        }
        held.clear();
        orphans.clear();
        if (ownsClient) {
            client.close();
        }
    }

    // ---- plumbing ----

    private void revokeQuietly(long leaseId) {
        try {
            client.getLeaseClient().revoke(leaseId).whenComplete((r, e) -> {
                // Best effort: an unrevoked lease ends with its TTL.
            });
        } catch (RuntimeException e) {
            log.debug("could not revoke lease {}", Long.toHexString(leaseId), e);
        }
    }

    private ByteSequence etcdKey(String key) {
        return bytes(locksPrefix + key);
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static String what(String doing, String key) {
        return doing + " lock '" + key + "'";
    }
}
