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
    private final RedisCalls calls;
    private final String fenceRetentionMillis;
    private final RScript script;
    private final ReleaseNotifications notifications;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisLockBackend(RedissonClient client, boolean ownsClient, String description, Duration operationTimeout,
                     Duration fenceRetention) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.calls = new RedisCalls(description, operationTimeout);
        this.fenceRetentionMillis = Long.toString(Math.max(1, fenceRetention.toMillis()));
        // Per-object options also bound a client the caller configured: its own timeout and retries (4 by default
        // in Redisson 3.52) would otherwise stretch a call far beyond the operation timeout, and re-send scripts.
        this.script = client.getScript(OptionalOptions.defaults()
                .codec(StringCodec.INSTANCE)
                .timeout(operationTimeout)
                .retryAttempts(0));
        this.notifications = new ReleaseNotifications(ReleaseNotifications.topic(client), calls);
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        String lockKey = RedisKeys.lockKey(key);
        String what = "acquiring lock '" + key + "'";
        RFuture<Long> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                RedisScripts.ACQUIRE, RScript.ReturnType.INTEGER, List.of(lockKey, RedisKeys.fenceKey(lockKey)),
                owner, Long.toString(lease.toMillis()), fenceRetentionMillis));
        Long result;
        try {
            result = calls.await(future, what, "; whether it was taken is unknown, and it is released if it was");
        } catch (LockBackendException e) {
            releaseIfAcquiredLater(future, key, owner);
            throw e;
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
        String what = "releasing lock '" + key + "'";
        return isOne(calls.awaitUninterruptibly(calls.send(what, () -> releaseAsync(key, owner)), what));
    }

    private RFuture<Long> releaseAsync(String key, String owner) {
        String lockKey = RedisKeys.lockKey(key);
        return script.evalAsync(lockKey, RScript.Mode.READ_WRITE, RedisScripts.RELEASE, RScript.ReturnType.INTEGER,
                List.of(lockKey), owner, RedisKeys.RELEASE_CHANNEL);
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        String lockKey = RedisKeys.lockKey(key);
        String what = "renewing lock '" + key + "'";
        RFuture<Long> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                RedisScripts.RENEW, RScript.ReturnType.INTEGER, List.of(lockKey), owner,
                Long.toString(lease.toMillis())));
        return isOne(calls.awaitUninterruptibly(future, what));
    }

    private static boolean isOne(Long result) {
        return result != null && result == 1;
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        Runnable remove = notifications.add(RedisKeys.lockKey(key), onRelease, key);
        return remove::run;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // First, so that no wait registers a listener on the client from now on (one the caller owns would keep it).
        notifications.close(!ownsClient);
        if (ownsClient) {
            client.shutdown();
        }
    }

    @Override
    public String toString() {
        return "RedisLockBackend[" + calls.description() + "]";
    }
}
