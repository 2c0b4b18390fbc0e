package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link LockBackend} on one {@link IMap}: each operation is one {@link LockEntryProcessor} call to the key's
 * partition owner ({@link EntryCalls}: without the thread hop of {@code submitToKey}), bounded by the operation
 * timeout on the caller's side (Hazelcast's own invocation timeout is 120 s by default and may belong to a client the
 * caller configured). Thread safe.
 */
final class HazelcastLockBackend implements LockBackend {

    private static final Logger log = LoggerFactory.getLogger(HazelcastLockBackend.class);

    private final HazelcastInstance instance;
    private final boolean ownsInstance;
    private final IMap<String, String> map;
    private final EntryCalls calls;
    private final long retentionMillis;
    private final long timeoutNanos;
    private final ReleaseEvents events;
    private final Deadlines deadlines = new Deadlines();
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastLockBackend(HazelcastInstance instance, boolean ownsInstance, String mapName, Duration timeout,
                         Duration retention) {
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
        if (renewals.size() == 1) {
            // The single-key call: its backup is synchronous, and it is one operation anyway.
            return LockBackend.super.renewAll(renewals, lease, deadlineNanos);
        }
        Map<String, String> owners = new HashMap<>(renewals.size() * 2);
        Set<String> keys = new LinkedHashSet<>(renewals.size() * 2);
        for (Renewal renewal : renewals) {
            owners.put(renewal.key(), renewal.owner());
            keys.add(renewal.key());
        }
        Map<String, Throwable> failures = new HashMap<>();
        Map<String, Object> answers = calls.executeOnKeys("renewing", keys,
                new RenewAllProcessor(owners, lease.toMillis(), retentionMillis), deadlineNanos, failures);
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
