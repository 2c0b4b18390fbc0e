package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.BlockingCallPool;
import io.distlock.spi.BoundedAwait;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.TreeSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link LockBackend} on one {@link IMap}: each operation is one {@link LockEntryProcessor} call to the key's
 * partition owner ({@link EntryCalls}: without the thread hop of {@code submitToKey}), bounded by the operation
 * timeout on the caller's side (Hazelcast's own invocation timeout is 120 s by default and may belong to a client the
 * caller configured). Inspection reads entries on their partition owners, judged as the grant path judges them.
 * Thread safe.
 */
final class HazelcastLockBackend implements LockBackend, LockInspection {

    /** Cursors of {@link #list}: this prefix, then the last key of the page before, base64url of its UTF-8. */
    private static final String CURSOR = "hz1:";

    private static final Logger log = LoggerFactory.getLogger(HazelcastLockBackend.class);

    private final HazelcastInstance instance;
    private final boolean ownsInstance;
    private final IMap<String, String> map;
    private final EntryCalls calls;
    private final long retentionMillis;
    private final long timeoutNanos;
    private final int renewalBatchSize;
    private final ReleaseEvents events;
    private final Deadlines deadlines = new Deadlines();
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastLockBackend(HazelcastInstance instance, boolean ownsInstance, String mapName, Duration timeout,
                         Duration retention) {
        this(instance, ownsInstance, mapName, timeout, retention, HazelcastLockManager.DEFAULT_RENEWAL_BATCH_SIZE);
    }

    HazelcastLockBackend(HazelcastInstance instance, boolean ownsInstance, String mapName, Duration timeout,
                         Duration retention, int renewalBatchSize) {
        this.renewalBatchSize = renewalBatchSize;
        this.instance = instance;
        this.ownsInstance = ownsInstance;
        this.map = instance.getMap(mapName);
        this.calls = EntryCalls.of(map, timeout);
        this.retentionMillis = retention.toMillis();
        this.timeoutNanos = timeout.toNanos();
        this.events = new ReleaseEvents(map, timeout);
    }

    @Override
    public String name() {
        return "hazelcast";
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        return tryAcquire(key, owner, lease, System.nanoTime() + timeoutNanos);
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
        // No clean-up here when this throws: the core releases this owner afterwards, with back-off, in case the
        // store still applies the acquire (a request that timed out may still run on a slow or paused member).
        long result = (Long) calls.executeForResult("acquiring", key,
                LockEntryProcessor.acquire(owner, lease.toMillis(), retentionMillis), false, deadlineNanos);
        return result > 0 ? AcquireResult.acquired(result) : AcquireResult.heldFor(Duration.ofMillis(-result));
    }

    /** The same entry processor call, answered through a stage: no thread waits for it. */
    @Override
    public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                          long deadlineNanos) {
        CompletableFuture<Object> answer = calls.executeForResultAsync("acquiring", key,
                LockEntryProcessor.acquire(owner, lease.toMillis(), retentionMillis), deadlineNanos, deadlines);
        return answer.thenApply(result -> {
            long value = (Long) result;
            return value > 0 ? AcquireResult.acquired(value) : AcquireResult.heldFor(Duration.ofMillis(-value));
        });
    }

    @Override
    public boolean release(String key, String owner) {
        return call("releasing", key, LockEntryProcessor.release(owner, retentionMillis), true) == 1L;
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        return call("renewing", key, LockEntryProcessor.renew(owner, lease.toMillis(), retentionMillis), false)
                == 1L;
    }

    /**
     * One {@link RenewAllProcessor} call for the whole batch: Hazelcast runs it as one operation per member that owns
     * some of the keys (sent to it directly from a client) and one per partition there, instead of one operation per
     * lock. A member that does not answer fails only its own keys.
     */
    @Override
    public List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        if (renewals.size() == 1 || !calls.backedUpRenewals()) {
            // The single-key call: its backup is synchronous, and it is one operation anyway. Without the direct
            // calls (another Hazelcast version), lock by lock for the same reason.
            return LockBackend.super.renewAll(renewals, lease, deadlineNanos);
        }
        Map<String, String> owners = new HashMap<>(renewals.size() * 2);
        for (Renewal renewal : renewals) {
            owners.put(renewal.key(), renewal.owner());
        }
        Map<String, Throwable> failures = new HashMap<>();
        Map<String, Object> answers = calls.renewOnKeys(owners, lease.toMillis(), retentionMillis, deadlineNanos,
                failures);
        List<RenewalResult> results = new ArrayList<>(renewals.size());
        for (Renewal renewal : renewals) {
            Object answer = answers.get(renewal.key());
            if (answer instanceof Long renewed) {
                results.add(renewed == 1L ? RenewalResult.renewed() : RenewalResult.notOwner());
            } else {
                Throwable failure = failures.get(renewal.key());
                results.add(RenewalResult.failed(failure != null ? failure : new LockBackendException("renewing '"
                        + renewal.key() + "' in hazelcast map '" + map.getName() + "' got no answer for this key "
                        + "(the members may run another version of " + RenewAllProcessor.class.getName() + ")")));
            }
        }
        return results;
    }

    @Override
    public int renewalBatchSize() {
        return renewalBatchSize;
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, System.nanoTime() + timeoutNanos);
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        return events.subscribe(key, onRelease, deadlineNanos);
    }

    @Override
    public CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        return events.subscribeAsync(key, onRelease, deadlineNanos, deadlines);
    }

    @Override
    public StoredLock read(String key, long deadlineNanos) {
        Object answer = calls.execute("inspecting", key, new InspectProcessor(), false, deadlineNanos);
        return answer == null ? null : stored(key, (String) answer);
    }

    /**
     * A page in key order: the keys under the prefix after the cursor that are not tombstones, found by a paging
     * query (every member scans its entries, the caller merges the first {@code limit}), then read with one
     * {@link InspectProcessor} call per partition owner, which drops leases that ran out.
     */
    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1 to 1000, got " + limit);
        }
        String after = cursor == null ? null : decodeCursor(cursor);
        Collection<String> keys = BoundedAwait.until(BlockingCallPool.submit(() -> map.keySet(
                        Predicates.pagingPredicate(new HeldKeys.Filter(keyPrefix, after), new HeldKeys.KeyOrder(),
                                limit)), null),
                deadlineNanos, BoundedAwait.Interrupts.ABORT, new BoundedAwait.Failures() {
                    @Override
                    public LockBackendException timedOut(TimeoutException e) {
                        return new LockBackendException("listing locks under '" + keyPrefix + "' in hazelcast map '"
                                + map.getName() + "' got no answer in time", e);
                    }

                    @Override
                    public LockBackendException interrupted(InterruptedException e) {
                        return new LockBackendException("listing locks under '" + keyPrefix + "' in hazelcast map '"
                                + map.getName() + "' was interrupted", e);
                    }

                    @Override
                    public LockBackendException failed(Throwable cause) {
                        return new LockBackendException("listing locks under '" + keyPrefix + "' in hazelcast map '"
                                + map.getName() + "' failed: " + cause, cause);
                    }
                });
        TreeSet<String> page = new TreeSet<>(keys);
        List<StoredLock> locks = new ArrayList<>(page.size());
        if (!page.isEmpty()) {
            Map<String, Throwable> failures = new HashMap<>();
            Map<String, Object> answers = calls.executeOnKeys("inspecting", page, new InspectProcessor(),
                    deadlineNanos, failures);
            if (!failures.isEmpty()) {
                Throwable failure = failures.values().iterator().next();
                throw failure instanceof LockBackendException e ? e : new LockBackendException("inspecting locks "
                        + "in hazelcast map '" + map.getName() + "' failed: " + failure, failure);
            }
            for (String key : page) {
                Object answer = answers.get(key);
                if (answer != null) {
                    locks.add(stored(key, (String) answer));
                }
            }
        }
        String next = page.size() < limit ? null
                : CURSOR + Base64.getUrlEncoder().withoutPadding().encodeToString(
                        page.last().getBytes(StandardCharsets.UTF_8));
        return new Page(locks, next);
    }

    private static String decodeCursor(String cursor) {
        if (cursor.startsWith(CURSOR)) {
            try {
                return new String(Base64.getUrlDecoder().decode(cursor.substring(CURSOR.length())),
                        StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // Reported below, with the cursor.
            }
        }
        throw new IllegalArgumentException("not a cursor of the hazelcast backend: '" + cursor + "'");
    }

    /** A lock from {@link InspectProcessor}'s {@code token|remainingNanos|owner}. */
    private static StoredLock stored(String key, String answer) {
        int a = answer.indexOf('|');
        int b = answer.indexOf('|', a + 1);
        return new StoredLock(key, answer.substring(b + 1), Long.parseLong(answer.substring(0, a)),
                Long.parseLong(answer.substring(a + 1, b)));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        events.close();
        deadlines.close();
        if (ownsInstance) {
            try {
                instance.shutdown();
            } catch (RuntimeException e) {
                log.warn("shutting down the hazelcast client of the lock manager failed", e);
            }
        }
    }

    /**
     * Sends {@code operation} for {@code key} and waits for its answer within the operation timeout.
     * {@code uninterruptible} calls (releases) keep waiting when the thread is interrupted and restore its flag
     * afterwards.
     */
    private long call(String what, String key, LockEntryProcessor operation, boolean uninterruptible) {
        return (Long) calls.executeForResult(what, key, operation, uninterruptible);
    }
}
