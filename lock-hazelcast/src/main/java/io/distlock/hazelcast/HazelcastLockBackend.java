package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
    private final long timeoutNanos;
    private final Duration timeout;
    private final long retentionMillis;
    private final ReleaseEvents events;
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastLockBackend(HazelcastInstance instance, boolean ownsInstance, String mapName, Duration timeout,
                         Duration retention) {
        this.instance = instance;
        this.ownsInstance = ownsInstance;
        this.map = instance.getMap(mapName);
        this.calls = EntryCalls.of(map);
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.retentionMillis = retention.toMillis();
        this.events = new ReleaseEvents(map, timeout);
    }

    @Override
    public String name() {
        return "hazelcast";
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        long result;
        try {
            result = call("acquiring", key, LockEntryProcessor.acquire(owner, lease.toMillis(), retentionMillis),
                    false);
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
        return events.subscribe(key, onRelease);
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
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        try {
            CompletableFuture<?> future = calls.send(key, operation);
            while (true) {
                try {
                    Object answer = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    Long result = (Long) calls.read(answer);
                    return result == null ? 0 : result;
                } catch (InterruptedException e) {
                    interrupted = true;
                    if (!uninterruptible) {
                        throw new LockBackendException(what + " '" + key + "' in hazelcast map '" + map.getName()
                                + "' was interrupted", e);
                    }
                } catch (TimeoutException e) {
                    throw new LockBackendException(what + " '" + key + "' in hazelcast map '" + map.getName()
                            + "' got no answer within " + timeout, e);
                } catch (ExecutionException e) {
                    throw failure(what, key, e.getCause());
                }
            }
        } catch (RuntimeException e) {
            if (e instanceof LockBackendException) {
                throw e;
            }
            throw failure(what, key, e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private LockBackendException failure(String what, String key, Throwable cause) {
        if (missingProcessorClass(cause)) {
            return new LockBackendException(what + " '" + key + "' failed: the members of the hazelcast cluster "
                    + "cannot load " + LockEntryProcessor.class.getName() + "; put the lock-hazelcast jar on every "
                    + "member's classpath (see the lock-hazelcast README)", cause);
        }
        return new LockBackendException(what + " '" + key + "' in hazelcast map '" + map.getName() + "' failed: "
                + cause, cause);
    }

    private static boolean missingProcessorClass(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HazelcastSerializationException || t instanceof ClassNotFoundException) {
                String message = String.valueOf(t.getMessage());
                if (message.contains(LockEntryProcessor.class.getName())) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
