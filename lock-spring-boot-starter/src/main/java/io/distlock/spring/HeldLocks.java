package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockLoss;
import io.distlock.LockSettings;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The handles this instance's manager holds right now, kept from its {@link LockListener} events for the
 * {@code distlock} Actuator endpoint: no request to the store, a map update per acquisition and release. Thread safe.
 */
final class HeldLocks implements LockListener {

    /** One held handle: when it was taken, and its renewals as the manager reported them. */
    static final class Held {
        final LockHandle handle;
        final Instant acquiredAt;
        final long acquiredNanos;
        volatile long confirmedNanos;
        volatile Instant confirmedAt;
        final AtomicInteger failuresSinceConfirmed = new AtomicInteger();

        Held(LockHandle handle, Instant acquiredAt, long acquiredNanos) {
            this.handle = handle;
            this.acquiredAt = acquiredAt;
            this.acquiredNanos = acquiredNanos;
            this.confirmedNanos = acquiredNanos;
            this.confirmedAt = acquiredAt;
        }
    }

    private final LockSettings settings;
    private final ConcurrentHashMap<LockHandle, Held> held = new ConcurrentHashMap<>();
    private volatile String backend;

    HeldLocks(LockSettings settings) {
        this.settings = settings;
    }

    @Override
    public void opened(String backend) {
        if (this.backend != null) {
            // One manager per listener: a second one would mix two managers' handles in one list.
            throw new IllegalStateException("the distlock endpoint already lists the locks of the " + this.backend
                    + " manager");
        }
        this.backend = backend;
    }

    @Override
    public void acquired(LockHandle handle, long waitedNanos) {
        held.put(handle, new Held(handle, Instant.now(), System.nanoTime()));
        // Another thread may have closed or lost it while this call ran (see LockListener): then it is gone.
        if (!handle.isHeld()) {
            held.remove(handle);
        }
    }

    @Override
    public void released(LockHandle handle, long heldNanos) {
        held.remove(handle);
    }

    @Override
    public void lost(LockHandle handle, LockLoss loss, long heldNanos) {
        held.remove(handle);
    }

    @Override
    public void renewed(LockHandle handle) {
        Held entry = held.get(handle);
        if (entry != null) {
            entry.confirmedNanos = System.nanoTime();
            entry.confirmedAt = Instant.now();
            entry.failuresSinceConfirmed.set(0);
        }
    }

    @Override
    public void renewalFailed(LockHandle handle, Throwable cause) {
        Held entry = held.get(handle);
        if (entry != null) {
            entry.failuresSinceConfirmed.incrementAndGet();
        }
    }

    @Override
    public void closed() {
        held.clear();
    }

    /** {@return the backend's name, or null if no manager reported to this listener (an application's own)} */
    String backend() {
        return backend;
    }

    LockSettings settings() {
        return settings;
    }

    /** {@return the handles held now, oldest first} */
    List<Held> snapshot() {
        List<Held> list = new ArrayList<>(held.values());
        list.removeIf(entry -> !entry.handle.isHeld());
        list.sort(Comparator.comparingLong((Held entry) -> entry.acquiredNanos));
        return list;
    }
}
