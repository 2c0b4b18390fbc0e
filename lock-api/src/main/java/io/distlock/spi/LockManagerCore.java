package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The complete {@link LockManager} that every backend is built from: a backend supplies the remote operations
 * ({@link LockBackend}), this class supplies everything the contract asks beyond them, once for all backends:
 * <ul>
 *   <li>key and duration validation before any network call (clause 10);</li>
 *   <li>the local table of held keys, so a key held by this manager fails fast with zero round trips (clause 2) and
 *       a local waiter is woken by a local release without asking the backend;</li>
 *   <li>one renewal thread per manager for all its handles, at a third of the lease, and loss detection when a
 *       renewal finds the lock gone or the backend unreachable for a whole lease (clauses 5 and 6);</li>
 *   <li>bounded waits with one deadline, woken by the backend's release notifications (clause 8);</li>
 *   <li>closing: releasing what is still held, then closing the backend (clause 11).</li>
 * </ul>
 * Thread safe.
 */
public final class LockManagerCore implements LockManager {

    private static final Logger log = LoggerFactory.getLogger(LockManagerCore.class);
    private static final SecureRandom OWNER_IDS = new SecureRandom();
    /**
     * The longest a waiter sleeps between attempts when no release notification arrives. Notifications do the real
     * work; this only bounds the damage of a lost one (e.g. a pub/sub message dropped during a reconnect).
     */
    private static final long MAX_RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final LockBackend backend;
    private final LockSettings settings;
    private final Ticker ticker;
    private final long leaseNanos;
    private final boolean leased;
    private final String ownerPrefix;
    private final AtomicLong handleSequence = new AtomicLong();
    private final ConcurrentHashMap<String, CoreLockHandle> held = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Waiter>> waiters = new ConcurrentHashMap<>();
    /** One thread per manager runs the renewal tick for all its handles. */
    private final ScheduledThreadPoolExecutor timers;
    private final long renewAfterNanos;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Attempts between their closed check and their end; close() lets them finish before closing the backend. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Set by close() after a release failed: the remaining handles are left to their leases. */
    private volatile boolean releasesAbandoned;

    private LockManagerCore(LockBackend backend, LockSettings settings) {
        this.backend = backend;
        this.settings = settings;
        this.ticker = settings.ticker();
        this.leaseNanos = settings.lease().toNanos();
        this.leased = backend.needsRenewal();
        byte[] id = new byte[8];
        OWNER_IDS.nextBytes(id);
        this.ownerPrefix = HexFormat.of().formatHex(id) + ":";
        String threadName = "distlock-" + backend.name() + "-renewal";
        this.timers = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        });
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.renewAfterNanos = Math.max(1, leaseNanos / 3);
        if (leased) {
            // One tick per manager rather than one scheduled task per lock: scheduling a task on every acquisition
            // woke the timer thread each time and cost about 7 us of a 22 us embedded Hazelcast acquire+release.
            // A handle is renewed on the first tick at least a third of a lease after its last renewal, so between
            // 1/3 and 1/2 of its lease; a fixed lease is reported lost within a sixth of a lease of its end.
            long tick = Math.max(TimeUnit.MILLISECONDS.toNanos(1), leaseNanos / 6);
            timers.scheduleWithFixedDelay(this::tick, tick, tick, TimeUnit.NANOSECONDS);
        }
        backend.setLossListener(this::backendReportedLoss);
    }

    /**
     * Builds a manager on {@code backend}. The manager takes the backend over: closing the manager closes the backend
     * (which in turn closes only what it owns).
     *
     * @param backend the backend, taken over by the manager
     * @param settings the settings of the manager
     * @return a new manager
     * @throws NullPointerException if an argument is null
     */
    public static LockManager create(LockBackend backend, LockSettings settings) {
        Objects.requireNonNull(backend, "backend must not be null");
        Objects.requireNonNull(settings, "settings must not be null");
        return new LockManagerCore(backend, settings);
    }

    @Override
    public Optional<LockHandle> tryLock(String key) {
        KeyRules.checkKey(key);
        ensureOpen();
        String backendKey = backendKey(key);
        // Clause 2: a key this manager holds fails here, with no allocation and no round trip.
        if (held.containsKey(backendKey)) {
            return Optional.empty();
        }
        CoreLockHandle handle = newHandle(key, backendKey);
        AcquireResult result = attempt(handle);
        return result != null && result.isAcquired() ? Optional.of(handle) : Optional.empty();
    }

    @Override
    public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
        KeyRules.checkKey(key);
        KeyRules.checkWait(wait);
        ensureOpen();
        if (wait.isZero()) {
            return tryLock(key);
        }
        long deadline = ticker.nanoTime() + KeyRules.saturatedNanos(wait);
        String backendKey = backendKey(key);
        Waiter waiter = new Waiter();
        // Added and removed inside compute(): a set emptied and dropped by a leaving waiter must never take a new one.
        waiters.compute(backendKey, (k, set) -> {
            Set<Waiter> keyWaiters = set == null ? ConcurrentHashMap.newKeySet() : set;
            keyWaiters.add(waiter);
            return keyWaiters;
        });
        LockBackend.Subscription subscription = null;
        try {
            while (true) {
                if (Thread.interrupted()) {
                    throw interrupted(key, null);
                }
                ensureOpen();
                // Drop signals of earlier rounds before looking, so a release after the look is kept for await.
                waiter.reset();
                long recheck = MAX_RECHECK_NANOS;
                // Marked deferred before looking: a pending attempt that fails right after the look still wakes us.
                waiter.deferred = true;
                if (!held.containsKey(backendKey)) {
                    waiter.deferred = false;
                    CoreLockHandle handle = newHandle(key, backendKey);
                    AcquireResult result;
                    try {
                        if (subscription == null) {
                            // Subscribe before the attempt: a release between a failed attempt and the wait still
                            // wakes us.
                            subscription = subscribe(key, backendKey, waiter);
                        }
                        result = attempt(handle);
                    } catch (LockBackendException e) {
                        // A client that gave up because the thread was interrupted: report the interrupt, not an
                        // outage.
                        if (Thread.interrupted()) {
                            throw interrupted(key, e);
                        }
                        throw e;
                    }
                    if (result != null) {
                        if (result.isAcquired()) {
                            return Optional.of(handle);
                        }
                        long holderLease = result.holderLeaseRemainingNanos();
                        if (holderLease >= 0) {
                            // The holder's lease may run out without any release notification (a crashed holder).
                            recheck = Math.min(recheck, holderLease + TimeUnit.MILLISECONDS.toNanos(1));
                        }
                    }
                }
                long remaining = deadline - ticker.nanoTime();
                if (remaining <= 0) {
                    return Optional.empty();
                }
                waiter.await(Math.min(remaining, recheck));
            }
        } finally {
            waiters.computeIfPresent(backendKey, (k, set) -> {
                set.remove(waiter);
                return set.isEmpty() ? null : set;
            });
            if (subscription != null) {
                closeQuietly(subscription, key);
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Attempts already at the backend finish first (bounded by the operation timeout), so that a lock they get
        // is released while the backend is still open, instead of staying locked for a whole lease.
        long deadline = System.nanoTime() + settings.operationTimeout().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        for (CoreLockHandle handle : held.values()) {
            handle.close();
        }
        // Waiting calls wake up, see the closed flag and throw IllegalStateException.
        waiters.values().forEach(set -> set.forEach(Waiter::run));
        timers.shutdownNow();
        try {
            backend.close();
        } catch (RuntimeException e) {
            log.warn("closing the {} backend failed", backend.name(), e);
        }
        log.debug("closed {} lock manager", backend.name());
    }

    @Override
    public String toString() {
        return "LockManager[" + backend.name() + ", " + settings + (closed.get() ? ", closed]" : "]");
    }

    // ---- machinery used by CoreLockHandle ----

    boolean withinLease(CoreLockHandle handle) {
        return !leased || ticker.nanoTime() - handle.leaseDeadline() < 0;
    }

    void releaseRemote(CoreLockHandle handle) {
        if (releasesAbandoned) {
            log.debug("not releasing lock '{}' on a closing manager whose backend is unreachable", handle.key);
            return;
        }
        try {
            if (backend.release(handle.backendKey, handle.owner)) {
                log.debug("released lock '{}' (token {})", handle.key, handle.fencingToken());
            } else {
                log.debug("lock '{}' (token {}) had already expired when released", handle.key,
                        handle.fencingToken());
            }
        } catch (RuntimeException e) {
            // Not rethrown: the guarded work has run, and failing it here would invite a retry that runs it twice.
            log.warn("could not release lock '{}' (token {}) on {}; it frees when its lease ends", handle.key,
                    handle.fencingToken(), backend.name(), e);
            if (closed.get()) {
                // One timeout per handle would make closing a manager with many locks take minutes in an outage;
                // the rest free with their leases too.
                releasesAbandoned = true;
            }
        }
    }

    /** Removes the handle from the local table, if it is still the one there, and wakes its local waiters. */
    void forget(CoreLockHandle handle) {
        if (held.remove(handle.backendKey, handle)) {
            Set<Waiter> keyWaiters = waiters.get(handle.backendKey);
            if (keyWaiters != null) {
                keyWaiters.forEach(Waiter::run);
            }
        }
    }

    /**
     * Removes the pending handle of a failed attempt and wakes only the waiters that deferred to it: the key is still
     * held elsewhere, so the others have nothing new to try (see {@link Waiter#deferred}).
     */
    private void forgetAttempt(CoreLockHandle handle) {
        if (held.remove(handle.backendKey, handle)) {
            Set<Waiter> keyWaiters = waiters.get(handle.backendKey);
            if (keyWaiters != null) {
                for (Waiter waiter : keyWaiters) {
                    if (waiter.deferred) {
                        waiter.run();
                    }
                }
            }
        }
    }

    void reportLoss(LockLoss loss) {
        log.warn("lost lock '{}' (token {}) on {}: {}", loss.key(), loss.fencingToken(), backend.name(),
                loss.reason(), loss.cause());
    }

    // ---- internals ----

    private String backendKey(String key) {
        String prefix = settings.keyPrefix();
        return prefix.isEmpty() ? key : prefix.concat(key);
    }

    private CoreLockHandle newHandle(String key, String backendKey) {
        return new CoreLockHandle(this, key, backendKey, ownerPrefix + handleSequence.incrementAndGet());
    }

    /**
     * One remote attempt for a handle that is not yet in the local table.
     *
     * @return null if another handle of this manager got the key first, else the backend's answer; when acquired, the
     *     handle is active and its renewal scheduled
     */
    private AcquireResult attempt(CoreLockHandle handle) {
        if (held.putIfAbsent(handle.backendKey, handle) != null) {
            return null;
        }
        // Counted before the closed check, so close() either sees this attempt in flight or the attempt sees close.
        inFlight.incrementAndGet();
        try {
            if (closed.get()) {
                forgetAttempt(handle);
                throw closedException();
            }
            AcquireResult result;
            long sentAt = ticker.nanoTime();
            try {
                result = backend.tryAcquire(handle.backendKey, handle.owner, settings.lease());
            } catch (RuntimeException e) {
                forgetAttempt(handle);
                throw failure(e, "could not acquire", handle.key);
            }
            if (!result.isAcquired()) {
                forgetAttempt(handle);
                return result;
            }
            // The lease is counted from when the request was sent: the store's copy can only end later than ours.
            if (!handle.activate(result.fencingToken(), sentAt, sentAt + leaseNanos)) {
                // close() gave up waiting for this attempt and closed the handle: give the lock back.
                releaseRemote(handle);
                throw closedException();
            }
            LockLoss early = handle.earlyLoss();
            if (early != null) {
                handle.markLost(early.reason(), early.cause());
                throw new LockBackendException("lock '" + handle.key + "' on " + backend.name() + " was lost while "
                        + "it was being acquired (" + early.reason() + "); whether it is free is unknown",
                        early.cause());
            }
            if (closed.get()) {
                handle.close();
                throw closedException();
            }
            log.debug("acquired lock '{}' (token {})", handle.key, result.fencingToken());
            return result;
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void tick() {
        long now = ticker.nanoTime();
        for (CoreLockHandle handle : held.values()) {
            if (!handle.isActive()) {
                continue;
            }
            if (!settings.renewal()) {
                if (now - handle.leaseDeadline() >= 0) {
                    handle.markLost(LockLoss.Reason.LEASE_EXPIRED, null);
                }
            } else if (now - handle.renewedAt() >= renewAfterNanos) {
                renew(handle);
            }
        }
    }

    private void renew(CoreLockHandle handle) {
        if (!handle.isActive()) {
            return;
        }
        long sentAt = ticker.nanoTime();
        try {
            if (backend.renew(handle.backendKey, handle.owner, settings.lease())) {
                handle.renewed(sentAt, sentAt + leaseNanos);
            } else {
                handle.markLost(LockLoss.Reason.NOT_OWNER, null);
            }
        } catch (RuntimeException e) {
            if (ticker.nanoTime() - handle.leaseDeadline() >= 0) {
                handle.markLost(LockLoss.Reason.BACKEND_UNREACHABLE, e);
            } else {
                log.debug("renewal of lock '{}' failed; retrying within the lease", handle.key, e);
            }
        }
    }

    private void backendReportedLoss(String backendKey, String owner, LockLoss.Reason reason, Throwable cause) {
        CoreLockHandle handle = held.get(backendKey);
        if (handle != null && handle.owner.equals(owner)) {
            handle.markLost(reason, cause);
        }
    }

    private LockBackend.Subscription subscribe(String key, String backendKey, Waiter waiter) {
        try {
            return backend.subscribe(backendKey, waiter);
        } catch (RuntimeException e) {
            throw failure(e, "could not wait for", key);
        }
    }

    private void closeQuietly(LockBackend.Subscription subscription, String key) {
        try {
            subscription.close();
        } catch (RuntimeException e) {
            // The wait is over either way; a subscription that failed to close only costs a stray notification.
            log.debug("closing the release subscription for '{}' failed", key, e);
        }
    }

    /**
     * What a backend failure means to the caller: the manager being closed under the call (the backend's client
     * shutting down) is {@link IllegalStateException}, not an outage (clause 11.3); anything else is an outage.
     */
    private RuntimeException failure(RuntimeException e, String what, String key) {
        if (closed.get()) {
            IllegalStateException closing = closedException();
            closing.initCause(e);
            return closing;
        }
        if (e instanceof LockException) {
            return e;
        }
        return new LockBackendException(what + " lock '" + key + "' on " + backend.name() + ": " + e, e);
    }

    private static InterruptedException interrupted(String key, Throwable cause) {
        InterruptedException interrupted = new InterruptedException("interrupted while acquiring lock '" + key + "'");
        interrupted.initCause(cause);
        return interrupted;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw closedException();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("this " + backend.name() + " lock manager is closed");
    }
}
