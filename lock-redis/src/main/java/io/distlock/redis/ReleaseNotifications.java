package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.KeyedListeners;
import io.distlock.spi.LockBackend;
import org.redisson.api.RFuture;
import org.redisson.api.RTopic;
import org.redisson.api.listener.MessageListener;
import org.redisson.api.listener.StatusListener;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One subscription per manager to the release channel, shared by all its waiting calls and dispatched by lock key
 * here. A channel per key would cost a SUBSCRIBE round trip (and a pub/sub slot) per contended key and wait; this
 * costs one SUBSCRIBE in the manager's lifetime, made by the first wait (a fail-fast tryLock never subscribes).
 * The price is that every manager that ever waited receives every release message of the Redis deployment; each
 * message is a few dozen bytes and a map lookup.
 *
 * <p>Messages are fire-and-forget: one sent while the connection is being re-established is lost. Redisson
 * re-subscribes by itself; on every (re)subscription all current waiters are woken to look again, and the core
 * re-checks at the holder's lease end anyway.
 *
 * <p>After {@link #close} nothing is registered on the topic any more: a wait that was already past its first
 * check when the manager closed gets {@link IllegalStateException} instead of adding a listener that nobody would
 * remove from the caller's client. Thread safe.
 */
final class ReleaseNotifications {

    private static final Logger log = LoggerFactory.getLogger(ReleaseNotifications.class);

    private final RTopic topic;
    private final RedisCalls calls;
    /** Joined and left inside compute(): a waiter never joins a key's set that a leaving waiter just dropped. */
    private final KeyedListeners listeners = new KeyedListeners();
    private final Object lock = new Object();
    /** The pending or completed subscription; null before the first wait or after a failed attempt. */
    private RFuture<Integer> messages;
    private RFuture<Integer> status;
    /** Set under {@link #lock} by {@link #close}; checked under it before anything is registered. */
    private boolean closed;
    private volatile boolean subscribed;

    /** Whether the server answers an ordinary call right now, within a short time; never throws. */
    private final java.util.function.BooleanSupplier answers;
    /** As {@link #answers}, without blocking: the stage never fails. */
    private final java.util.function.Supplier<java.util.concurrent.CompletionStage<Boolean>> answersAsync;

    ReleaseNotifications(RTopic topic, RedisCalls calls, java.util.function.BooleanSupplier answers,
                         java.util.function.Supplier<java.util.concurrent.CompletionStage<Boolean>> answersAsync) {
        this.topic = topic;
        this.calls = calls;
        this.answers = answers;
        this.answersAsync = answersAsync;
    }

    static RTopic topic(org.redisson.api.RedissonClient client) {
        return client.getTopic(RedisKeys.RELEASE_CHANNEL, StringCodec.INSTANCE);
    }

    /**
     * Registers {@code onRelease} for {@code lockKey}, subscribing first if this is the manager's first wait.
     *
     * @throws LockBackendException naming {@code key} if the subscription is not confirmed by {@code deadlineNanos}
     *     (at most one operation timeout from now)
     * @throws IllegalStateException if {@link #close} was called
     */
    LockBackend.Subscription add(String lockKey, Runnable onRelease, String key, long deadlineNanos) {
        LockBackend.Subscription subscription = listeners.add(lockKey, onRelease);
        if (!subscribed) {
            try {
                awaitSubscribed(key, deadlineNanos);
            } catch (RuntimeException e) {
                subscription.close();
                throw e;
            }
        }
        return subscription;
    }

    /**
     * As {@link #add}, without blocking: the stage completes when the subscription is confirmed (at once once the
     * manager is subscribed), or exceptionally as {@link #add} throws; a failed registration is undone. Telling a
     * refused subscription from an unreachable server probes the server asynchronously too.
     */
    java.util.concurrent.CompletionStage<LockBackend.Subscription> addAsync(String lockKey, Runnable onRelease,
                                                                           String key, long deadlineNanos) {
        LockBackend.Subscription subscription = listeners.add(lockKey, onRelease);
        if (subscribed) {
            return java.util.concurrent.CompletableFuture.completedFuture(subscription);
        }
        long startNanos = System.nanoTime();
        RFuture<Integer> pending;
        try {
            pending = pending();
        } catch (RuntimeException e) {
            subscription.close();
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        String what = "subscribing to releases of lock '" + key + "'";
        boolean wholeTimeout = deadlineNanos - startNanos >= calls.timeout().toNanos() / 2;
        java.util.concurrent.CompletableFuture<LockBackend.Subscription> result =
                new java.util.concurrent.CompletableFuture<>();
        calls.replyWithin(pending, what, "", deadlineNanos).whenComplete((id, error) -> {
            if (error == null) {
                subscribed = true;
                result.complete(subscription);
                return;
            }
            subscription.close();
            if (error instanceof io.distlock.LockConfigurationException || !wholeTimeout
                    || !(error instanceof LockBackendException failure)) {
                result.completeExceptionally(error);
                return;
            }
            answersAsync.get().whenComplete((answered, probeError) -> result.completeExceptionally(
                    Boolean.TRUE.equals(answered) ? calls.failures().subscriptionRefused(what,
                            RedisKeys.RELEASE_CHANNEL, calls.timeout().toMillis(), failure) : failure));
        });
        return result;
    }

    /** The pending or completed subscription, made now if there is none (or the last attempt failed). */
    private RFuture<Integer> pending() {
        synchronized (lock) {
            if (closed) {
                // The manager closed after this wait passed its own check; registering now would leak a listener.
                throw new IllegalStateException("the Redis lock manager on " + calls.description() + " is closed");
            }
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
            return messages;
        }
    }

    private void awaitSubscribed(String key, long deadlineNanos) {
        long startNanos = System.nanoTime();
        RFuture<Integer> pending = pending();
        String what = "subscribing to releases of lock '" + key + "'";
        // Only a subscription that had most of an operation timeout is evidence of a refusal; a short remaining
        // wait may simply have run out.
        boolean wholeTimeout = deadlineNanos - startNanos >= calls.timeout().toNanos() / 2;
        try {
            calls.awaitUntil(pending, what, "", deadlineNanos);
        } catch (io.distlock.LockConfigurationException e) {
            throw e;
        } catch (LockBackendException e) {
            if (wholeTimeout && !Thread.currentThread().isInterrupted() && answers.getAsBoolean()) {
                throw calls.failures().subscriptionRefused(what, RedisKeys.RELEASE_CHANNEL,
                        calls.timeout().toMillis(), e);
            }
            throw e;
        }
        subscribed = true;
    }

    private void onMessage(CharSequence channel, String lockKey) {
        if (lockKey != null) {
            listeners.signal(lockKey);
        }
    }

    private void wakeAll() {
        listeners.signalAll();
    }

    /**
     * Refuses every later registration and, if {@code removeListeners}, removes this manager's listeners from the
     * topic: needed on a client the manager does not own; an owned client's shutdown drops them anyway.
     */
    void close(boolean removeListeners) {
        synchronized (lock) {
            closed = true;
            for (RFuture<Integer> f : new RFuture[] {messages, status}) {
                if (f != null && removeListeners) {
                    f.whenComplete((id, error) -> {
                        if (id != null) {
                            topic.removeListenerAsync(id).whenComplete((v, e) -> {
                                if (e != null) {
                                    // Harmless: a stray listener on a client we do not own only wakes nobody.
                                    log.debug("removing the release listener on {} failed", calls.description(), e);
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
