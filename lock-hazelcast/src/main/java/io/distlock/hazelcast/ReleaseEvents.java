package io.distlock.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import com.hazelcast.map.listener.MapEvictedListener;
import io.distlock.LockBackendException;
import io.distlock.spi.BoundedAwait;
import io.distlock.spi.KeyedListeners;
import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Release notifications for one manager: one map-wide entry listener, registered on the first wait and kept until
 * close, dispatching each event by key to the local waiters of that key ({@link KeyedListeners}). One registration
 * per manager rather than one per wait, because a registration is a round trip to every member; the price is that
 * every event of the lock map reaches every manager that ever waited (events carry a value of a few dozen bytes).
 *
 * <p>Only events that can free a key wake waiters: an update to a tombstone (a release), and removals, expiries,
 * evictions and clears. Events are best effort (lost around reconnects): the core re-checks at the holder's lease end
 * and at least every second anyway.
 *
 * <p>Close never leaves the listener behind on the caller's instance: a registration still running when
 * {@link #close()} is called is removed as soon as it completes, however late. Thread safe.
 */
final class ReleaseEvents implements EntryUpdatedListener<String, String>, EntryRemovedListener<String, String>,
        EntryExpiredListener<String, String>, EntryEvictedListener<String, String>, MapClearedListener,
        MapEvictedListener {

    private static final Logger log = LoggerFactory.getLogger(ReleaseEvents.class);

    private final IMap<String, String> map;
    private final Duration timeout;
    private final KeyedListeners listeners = new KeyedListeners();
    /** Registers and removes off the caller's thread, so a call that hangs (an unreachable cluster) is bounded. */
    private final ExecutorService registrar;
    private CompletableFuture<UUID> registration;
    private boolean closed;

    ReleaseEvents(IMap<String, String> map, Duration timeout) {
        this.map = map;
        this.timeout = timeout;
        this.registrar = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "distlock-hazelcast-listener");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Subscribes {@code onRelease} to releases of {@code key}, registering the listener first if needed, waiting for
     * that until {@code deadline} (nanoTime).
     */
    LockBackend.Subscription subscribe(String key, Runnable onRelease, long deadline) {
        LockBackend.Subscription subscription = listeners.add(key, onRelease);
        try {
            awaitRegistration(key, deadline);
        } catch (RuntimeException e) {
            subscription.close();
            throw e;
        }
        return subscription;
    }

    /**
     * As {@link #subscribe}, without blocking: once the listener is registered (at once after the first wait), the
     * stage is complete when returned; otherwise it completes when the registrar has registered it, or fails at
     * {@code deadline}. A subscription the stage could not deliver is closed.
     */
    CompletionStage<LockBackend.Subscription> subscribeAsync(String key, Runnable onRelease, long deadline,
                                                             Deadlines deadlines) {
        LockBackend.Subscription subscription = listeners.add(key, onRelease);
        CompletableFuture<UUID> pending;
        try {
            pending = registration();
        } catch (RuntimeException e) {
            subscription.close();
            return CompletableFuture.failedFuture(e);
        }
        if (pending.isDone() && !pending.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(subscription);
        }
        CompletableFuture<LockBackend.Subscription> result = new CompletableFuture<>();
        Future<?> expiry;
        try {
            expiry = deadlines.at(deadline, () -> {
                if (result.completeExceptionally(new LockBackendException("listening for releases of '" + key
                        + "' in map '" + map.getName() + "' got no answer in time (operation timeout " + timeout
                        + ")"))) {
                    subscription.close();
                }
            });
        } catch (RuntimeException e) {
            subscription.close();
            return CompletableFuture.failedFuture(e);
        }
        // On the registrar's thread (it completes the registration), never on a Hazelcast thread.
        pending.whenComplete((id, error) -> {
            expiry.cancel(false);
            boolean delivered = error == null ? result.complete(subscription)
                    : result.completeExceptionally(new LockBackendException("listening for releases of '" + key
                    + "' in map '" + map.getName() + "' failed: " + error, error));
            if (!delivered || error != null) {
                subscription.close();
            }
        });
        return result;
    }

    /** The registration of the listener, started if none is running or done (a failed one is tried again). */
    private synchronized CompletableFuture<UUID> registration() {
        if (closed) {
            throw new IllegalStateException("the hazelcast lock backend is closed");
        }
        if (registration == null || registration.isCompletedExceptionally()) {
            // A failed registration (cluster unreachable) is tried again by the next wait.
            registration = CompletableFuture.supplyAsync(() -> map.addEntryListener(this, true), registrar);
        }
        return registration;
    }

    private void awaitRegistration(String key, long deadline) {
        CompletableFuture<UUID> pending = registration();
        BoundedAwait.until(pending, deadline, BoundedAwait.Interrupts.ABORT, new BoundedAwait.Failures() {
            @Override
            public LockBackendException timedOut(TimeoutException e) {
                return new LockBackendException("listening for releases of '" + key + "' in map '" + map.getName()
                        + "' got no answer in time (operation timeout " + timeout + ")", e);
            }

            @Override
            public LockBackendException interrupted(InterruptedException e) {
                return new LockBackendException("interrupted while listening for releases of '" + key
                        + "' in map '" + map.getName() + "'", e);
            }

            @Override
            public LockBackendException failed(Throwable cause) {
                return new LockBackendException("listening for releases of '" + key + "' in map '"
                        + map.getName() + "' failed: " + cause, cause);
            }
        });
    }

    /**
     * Removes the listener, waiting for that at most the timeout, and stops the registrar. A registration still
     * running is removed when it completes. Idempotent.
     */
    void close() {
        CompletableFuture<UUID> registered;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            registered = registration;
        }
        listeners.clear();
        if (registered == null) {
            registrar.shutdown();
            return;
        }
        // The registrar runs one task at a time, in order: this removal runs after a registration still running,
        // and shutdown() lets queued tasks finish. (A completion callback on the registration could run after the
        // registrar stopped taking tasks, and the listener would stay on the caller's instance.)
        CompletableFuture<Void> removed = new CompletableFuture<>();
        registrar.execute(() -> {
            try {
                UUID id = registered.isDone() && !registered.isCompletedExceptionally() ? registered.join() : null;
                if (id != null) {
                    remove(id);
                }
            } finally {
                removed.complete(null);
            }
        });
        registrar.shutdown();
        try {
            BoundedAwait.until(removed, System.nanoTime() + timeout.toNanos(), BoundedAwait.Interrupts.FINISH,
                    new BoundedAwait.Failures() {
                        @Override
                        public LockBackendException timedOut(TimeoutException e) {
                            return new LockBackendException("removing the release listener of map '"
                                    + map.getName() + "' got no answer within " + timeout, e);
                        }

                        @Override
                        public LockBackendException interrupted(InterruptedException e) {
                            return new LockBackendException("interrupted", e);
                        }

                        @Override
                        public LockBackendException failed(Throwable cause) {
                            return new LockBackendException("removing the release listener of map '"
                                    + map.getName() + "' failed: " + cause, cause);
                        }
                    });
        } catch (LockBackendException e) {
            // Still queued or running: it completes on the registrar. A member drops the registration of a client
            // that goes away; a failed registration left nothing to remove.
            log.debug("the release listener of map '{}' is removed in the background", map.getName(), e);
        }
    }

    private void remove(UUID id) {
        try {
            map.removeEntryListener(id);
        } catch (RuntimeException e) {
            // The member drops the registration when our client goes; an embedded member only keeps stray events.
            log.debug("removing the release listener of map '{}' failed", map.getName(), e);
        }
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
        // Acquisitions and renewals are updates too; only a tombstone frees the key.
        if (LockEntryProcessor.isFree(event.getValue())) {
            listeners.signal(event.getKey());
        }
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
        listeners.signal(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, String> event) {
        listeners.signal(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
        listeners.signal(event.getKey());
    }

    @Override
    public void mapCleared(MapEvent event) {
        listeners.signalAll();
    }

    @Override
    public void mapEvicted(MapEvent event) {
        listeners.signalAll();
    }
}
