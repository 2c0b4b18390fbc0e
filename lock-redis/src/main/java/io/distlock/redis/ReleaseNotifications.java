package io.distlock.redis;

import io.distlock.LockBackendException;
import org.redisson.api.RFuture;
import org.redisson.api.RTopic;
import org.redisson.api.listener.MessageListener;
import org.redisson.api.listener.StatusListener;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One subscription per manager to the release channel, shared by all its waiting calls and dispatched by lock key
 * here. A channel per key would cost a SUBSCRIBE round trip (and a pub/sub slot) per contended key and wait; this
 * costs one SUBSCRIBE in the manager's lifetime, made by the first wait (a fail-fast tryLock never subscribes).
 * The price is that every manager that ever waited receives every release message of the Redis deployment; each
 * message is a few dozen bytes and a map lookup.
 *
 * <p>Messages are fire-and-forget: one sent while the connection is being re-established is lost. Redisson
 * re-subscribes by itself; on every (re)subscription all current waiters are woken to look again, and the core
 * re-checks at the holder's lease end anyway. Thread safe.
 */
final class ReleaseNotifications {

    private static final Logger log = LoggerFactory.getLogger(ReleaseNotifications.class);

    private final RTopic topic;
    private final String description;
    private final ConcurrentHashMap<String, Set<Runnable>> listeners = new ConcurrentHashMap<>();
    private final Object lock = new Object();
    /** The pending or completed subscription; null before the first wait or after a failed attempt. */
    private RFuture<Integer> messages;
    private RFuture<Integer> status;
    private volatile boolean subscribed;

    ReleaseNotifications(RTopic topic, String description) {
        this.topic = topic;
        this.description = description;
    }

    static RTopic topic(org.redisson.api.RedissonClient client) {
        return client.getTopic(RedisKeys.RELEASE_CHANNEL, StringCodec.INSTANCE);
    }

    /**
     * Registers {@code onRelease} for {@code lockKey}, subscribing first if this is the manager's first wait.
     *
     * @throws LockBackendException naming {@code key} if the subscription is not confirmed by {@code deadline}
     */
    Runnable add(String lockKey, Runnable onRelease, String key, long deadline) {
        listeners.computeIfAbsent(lockKey, k -> ConcurrentHashMap.newKeySet()).add(onRelease);
        Runnable remove = () -> listeners.computeIfPresent(lockKey, (k, set) -> {
            set.remove(onRelease);
            return set.isEmpty() ? null : set;
        });
        if (!subscribed) {
            try {
                awaitSubscribed(key, deadline);
            } catch (RuntimeException e) {
                remove.run();
                throw e;
            }
        }
        return remove;
    }

    private void awaitSubscribed(String key, long deadline) {
        RFuture<Integer> pending;
        synchronized (lock) {
            if (messages == null || (messages.isDone() && !messages.isSuccess())) {
                // A failed attempt is dropped so the next wait tries again; one still pending is shared, so that an
                // attempt that times out here but succeeds later never leaves two listeners behind.
                messages = topic.addListenerAsync(String.class, (MessageListener<String>) this::onMessage);
                if (status == null) {
                    status = topic.addListenerAsync(new StatusListener() {
                        @Override
                        public void onSubscribe(String channel) {
                            wakeAll();
                        }

                        @Override
                        public void onUnsubscribe(String channel) {
                            // Nothing to do: Redisson re-subscribes, and onSubscribe then wakes every waiter.
                        }
                    });
                }
            }
            pending = messages;
        }
        try {
            pending.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            subscribed = true;
        } catch (InterruptedException e) {
            // Keep the flag: the core turns an interrupted wait into InterruptedException.
            Thread.currentThread().interrupt();
            throw new LockBackendException("subscribing to releases of lock '" + key + "' on " + description
                    + " was interrupted", e);
        } catch (ExecutionException e) {
            throw new LockBackendException("could not subscribe to releases of lock '" + key + "' on "
                    + description + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new LockBackendException("subscribing to releases of lock '" + key + "' on " + description
                    + " timed out", e);
        }
    }

    private void onMessage(CharSequence channel, String lockKey) {
        Set<Runnable> set = listeners.get(lockKey);
        if (set != null) {
            set.forEach(Runnable::run);
        }
    }

    private void wakeAll() {
        listeners.values().forEach(set -> set.forEach(Runnable::run));
    }

    /** Removes this manager's listeners from a client it does not own; the client's own shutdown does it otherwise. */
    void close() {
        synchronized (lock) {
            for (RFuture<Integer> f : new RFuture[] {messages, status}) {
                if (f != null) {
                    f.whenComplete((id, error) -> {
                        if (id != null) {
                            topic.removeListenerAsync(id).whenComplete((v, e) -> {
                                if (e != null) {
                                    // Harmless: a stray listener on a client we do not own only wakes nobody.
                                    log.debug("removing the release listener on {} failed", description, e);
                                }
                            });
                        }
                    });
                }
            }
            messages = null;
            status = null;
        }
        listeners.clear();
    }
}
