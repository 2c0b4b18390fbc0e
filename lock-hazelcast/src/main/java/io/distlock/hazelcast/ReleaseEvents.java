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
import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Release notifications for one manager: one map-wide entry listener, registered on the first wait and kept until
 * close, dispatching each event by key to the local waiters of that key. One registration per manager rather than one
 * per wait, because a registration is a round trip to every member; the price is that every event of the lock map
 * reaches every manager that ever waited (events carry a value of a few dozen bytes).
 *
 * <p>Only events that can free a key wake waiters: an update to a tombstone (a release), and removals, expiries,
 * evictions and clears. Events are best effort (lost around reconnects): the core re-checks at the holder's lease end
 * and at least every second anyway. Thread safe.
 */
final class ReleaseEvents implements EntryUpdatedListener<String, String>, EntryRemovedListener<String, String>,
        EntryExpiredListener<String, String>, EntryEvictedListener<String, String>, MapClearedListener,
        MapEvictedListener {

    private static final Logger log = LoggerFactory.getLogger(ReleaseEvents.class);

    private final IMap<String, String> map;
    private final Duration timeout;
    private final ConcurrentHashMap<String, Set<Runnable>> subscribers = new ConcurrentHashMap<>();
    /** Registers off the caller's thread, so a registration that hangs (an unreachable cluster) is bounded. */
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

    /** Subscribes {@code onRelease} to releases of {@code key}, registering the listener first if needed. */
    LockBackend.Subscription subscribe(String key, Runnable onRelease) {
        subscribers.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(onRelease);
        try {
            awaitRegistration(key);
        } catch (RuntimeException e) {
            unsubscribe(key, onRelease);
            throw e;
        }
        return () -> unsubscribe(key, onRelease);
    }

    private void unsubscribe(String key, Runnable onRelease) {
        subscribers.computeIfPresent(key, (k, set) -> {
            set.remove(onRelease);
            return set.isEmpty() ? null : set;
        });
    }

    private void awaitRegistration(String key) {
        CompletableFuture<UUID> pending;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the hazelcast lock backend is closed");
            }
            if (registration == null || registration.isCompletedExceptionally()) {
                // A failed registration (cluster unreachable) is tried again by the next wait.
                registration = CompletableFuture.supplyAsync(() -> map.addEntryListener(this, true), registrar);
            }
            pending = registration;
        }
        try {
            pending.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockBackendException("interrupted while listening for releases of '" + key + "' in map '"
                    + map.getName() + "'", e);
        } catch (TimeoutException e) {
            throw new LockBackendException("listening for releases of '" + key + "' in map '" + map.getName()
                    + "' got no answer within " + timeout, e);
        } catch (ExecutionException e) {
            throw new LockBackendException("listening for releases of '" + key + "' in map '" + map.getName()
                    + "' failed: " + e.getCause(), e.getCause());
        }
    }

    /** Removes the listener (bounded by the timeout) and stops the registrar. Idempotent. */
    void close() {
        CompletableFuture<UUID> registered;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            registered = registration;
        }
        registrar.shutdown();
        if (registered == null) {
            return;
        }
        try {
            UUID id = registered.getNow(null);
            if (id != null) {
                CompletableFuture.runAsync(() -> map.removeEntryListener(id))
                        .get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | ExecutionException | TimeoutException e) {
            // The member drops the registration when our client goes; an embedded one only costs stray events.
            log.debug("removing the release listener of map '{}' failed", map.getName(), e);
        }
        subscribers.clear();
    }

    private void wake(String key) {
        Set<Runnable> waiting = subscribers.get(key);
        if (waiting != null) {
            waiting.forEach(Runnable::run);
        }
    }

    private void wakeAll() {
        subscribers.values().forEach(set -> set.forEach(Runnable::run));
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
        // Acquisitions and renewals are updates too; only a tombstone frees the key.
        if (LockEntryProcessor.isFree(event.getValue())) {
            wake(event.getKey());
        }
    }

    @Override
    public void entryRemoved(EntryEvent<String, String> event) {
        wake(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, String> event) {
        wake(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, String> event) {
        wake(event.getKey());
    }

    @Override
    public void mapCleared(MapEvent event) {
        wakeAll();
    }

    @Override
    public void mapEvicted(MapEvent event) {
        wakeAll();
    }
}
