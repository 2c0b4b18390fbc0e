package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.OptionalOptions;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link LockBackend} on a Redisson client: each operation is one Lua script (see {@link RedisScripts}), sent
 * with no client-side retry and awaited for at most the operation timeout.
 *
 * <p>Why no retry: a script that timed out may still run later (the server was only slow), so a retry could run it
 * twice. With none, a timed-out acquire has an unknown outcome; if it turns out to have succeeded after the caller
 * gave up, the lock is released at once (see {@link #tryAcquire}), and otherwise frees with its lease. Thread safe.
 */
final class RedisLockBackend implements LockBackend {

    private static final Logger log = LoggerFactory.getLogger(RedisLockBackend.class);

    private final RedissonClient client;
    private final boolean ownsClient;
    private final String description;
    private final long timeoutNanos;
    private final String fenceRetentionMillis;
    private final RScript script;
    private final ReleaseNotifications notifications;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisLockBackend(RedissonClient client, boolean ownsClient, String description, Duration operationTimeout,
                     Duration fenceRetention) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.description = description;
        this.timeoutNanos = operationTimeout.toNanos();
        this.fenceRetentionMillis = Long.toString(Math.max(1, fenceRetention.toMillis()));
        // Per-object options also bound a client the caller configured: its own timeout and retries (4 by default
        // in Redisson 3.52) would otherwise stretch a call far beyond the operation timeout, and re-send scripts.
        this.script = client.getScript(OptionalOptions.defaults()
                .codec(StringCodec.INSTANCE)
                .timeout(operationTimeout)
                .retryAttempts(0));
        this.notifications = new ReleaseNotifications(ReleaseNotifications.topic(client), description);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        long deadline = System.nanoTime() + timeoutNanos;
        String lockKey = RedisKeys.lockKey(key);
        RFuture<Long> future = script.evalAsync(lockKey, RScript.Mode.READ_WRITE, RedisScripts.ACQUIRE,
                RScript.ReturnType.INTEGER, List.of(lockKey, RedisKeys.fenceKey(lockKey)), owner,
                Long.toString(lease.toMillis()), fenceRetentionMillis);
        Long result;
        try {
            result = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            releaseIfAcquiredLater(future, key, owner);
            throw new LockBackendException("acquiring lock '" + key + "' on " + description + " was interrupted; "
                    + "whether it was taken is unknown, and it is released if it was", e);
        } catch (TimeoutException e) {
            releaseIfAcquiredLater(future, key, owner);
            throw timedOut("acquiring", key, e);
        } catch (ExecutionException e) {
            releaseIfAcquiredLater(future, key, owner);
            throw failed("acquiring", key, e.getCause());
        }
        long value = result == null ? 0 : result;
        if (value > 0) {
            return AcquireResult.acquired(value);
        }
        return value == 0 ? AcquireResult.held() : AcquireResult.heldFor(Duration.ofMillis(-1 - value));
    }

    /**
     * The caller gave up on an acquire whose outcome is unknown. If the script did take the lock (now or when a
     * stalled server resumes), release it, so nobody holds a lock that no handle knows about.
     */
    private void releaseIfAcquiredLater(RFuture<Long> future, String key, String owner) {
        future.whenComplete((token, error) -> {
            if (token != null && token > 0 && !closed.get()) {
                log.debug("lock '{}' was acquired after its caller gave up; releasing it", key);
                releaseAsync(key, owner).whenComplete((released, e) -> {
                    if (e != null) {
                        // It frees with its lease; nothing else can be done without a server.
                        log.debug("releasing the abandoned lock '{}' failed", key, e);
                    }
                });
            }
        });
    }

    @Override
    public boolean release(String key, String owner) {
        return awaitUninterruptibly(releaseAsync(key, owner), "releasing", key) == 1;
    }

    private RFuture<Long> releaseAsync(String key, String owner) {
        String lockKey = RedisKeys.lockKey(key);
        return script.evalAsync(lockKey, RScript.Mode.READ_WRITE, RedisScripts.RELEASE, RScript.ReturnType.INTEGER,
                List.of(lockKey), owner, RedisKeys.RELEASE_CHANNEL);
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        String lockKey = RedisKeys.lockKey(key);
        RFuture<Long> future = script.evalAsync(lockKey, RScript.Mode.READ_WRITE, RedisScripts.RENEW,
                RScript.ReturnType.INTEGER, List.of(lockKey), owner, Long.toString(lease.toMillis()));
        return awaitUninterruptibly(future, "renewing", key) == 1;
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        long deadline = System.nanoTime() + timeoutNanos;
        Runnable remove = notifications.add(RedisKeys.lockKey(key), onRelease, key, deadline);
        return remove::run;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (ownsClient) {
            client.shutdown();
        } else {
            notifications.close();
        }
    }

    /**
     * Waits for a release or renewal to finish even if the thread is interrupted (the flag is restored): giving up
     * on a release would leave the key locked for the rest of its lease.
     */
    private long awaitUninterruptibly(RFuture<Long> future, String what, String key) {
        long deadline = System.nanoTime() + timeoutNanos;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    Long result = future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return result == null ? 0 : result;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    throw timedOut(what, key, e);
                } catch (ExecutionException e) {
                    throw failed(what, key, e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private LockBackendException timedOut(String what, String key, Throwable cause) {
        return new LockBackendException(what + " lock '" + key + "' on " + description + " timed out after "
                + Duration.ofNanos(timeoutNanos).toMillis() + " ms", cause);
    }

    private LockBackendException failed(String what, String key, Throwable cause) {
        return new LockBackendException(what + " lock '" + key + "' on " + description + " failed: " + cause, cause);
    }

    @Override
    public String toString() {
        return "RedisLockBackend[" + description + "]";
    }
}
