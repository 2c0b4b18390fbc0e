package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
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
        long result;
        try {
            result = (Long) calls.executeForResult("acquiring", key,
                    LockEntryProcessor.acquire(owner, lease.toMillis(), retentionMillis), false, deadlineNanos);
        } catch (LockBackendException e) {
            // The call may still be applied after we gave up: release under the same owner, so a lock nobody knows
            // of does not block the key for a whole lease. Ordered behind the acquire on the partition's thread.
            releaseLater(key, owner);
            throw e;
        }
        return result > 0 ? AcquireResult.acquired(result) : AcquireResult.heldFor(Duration.ofMillis(-result));
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

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, System.nanoTime() + timeoutNanos);
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        return events.subscribe(key, onRelease, deadlineNanos);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        events.close();
        if (ownsInstance) {
            try {
                instance.shutdown();
            } catch (RuntimeException e) {
                log.warn("shutting down the hazelcast client of the lock manager failed", e);
            }
        }
    }

    private void releaseLater(String key, String owner) {
        try {
            map.submitToKey(key, LockEntryProcessor.release(owner, retentionMillis))
                    .whenComplete((released, failure) -> {
                        if (failure != null) {
                            log.debug("clean-up release of '{}' after a failed acquire did not go through; "
                                    + "the lock, if granted, frees when its lease ends", key, failure);
                        }
                    });
        } catch (RuntimeException e) {
            // An offline client refuses at once; a lock it may have been granted frees when its lease ends.
            log.debug("clean-up release of '{}' after a failed acquire was refused", key, e);
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
