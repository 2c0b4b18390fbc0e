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
import java.util.concurrent.atomic.AtomicLong;

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
    private final ScheduledThreadPoolExecutor timers;
    private final AtomicBoolean closed = new AtomicBoolean();

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
        timers.setRemoveOnCancelPolicy(true);
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        backend.setLossListener(this::backendReportedLoss);
    }

    /**
     * Builds a manager on {@code backend}. The manager takes the backend over: closing the manager closes the backend
     * (which in turn closes only what it owns).
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
        AcquireResult result = attempt(handle, null);
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
        Set<Waiter> keyWaiters = waiters.computeIfAbsent(backendKey, k -> ConcurrentHashMap.newKeySet());
        keyWaiters.add(waiter);
        LockBackend.Subscription subscription = null;
        try {
            while (true) {
                ensureOpen();
                // Drop signals of earlier rounds before looking, so a release after the look is kept for await.
                waiter.reset();
                long recheck = MAX_RECHECK_NANOS;
                if (!held.containsKey(backendKey)) {
                    if (subscription == null) {
                        // Subscribe before the attempt: a release between a failed attempt and the wait still wakes us.
                        subscription = subscribe(key, backendKey, waiter);
                    }
                    CoreLockHandle handle = newHandle(key, backendKey);
                    AcquireResult result;
                    try {
                        result = attempt(handle, waiter);
                    } catch (LockBackendException e) {
                        // A client that gave up because the thread was interrupted: report the interrupt, not an outage.
                        if (Thread.interrupted()) {
                            InterruptedException interrupted = new InterruptedException(
                                    "interrupted while acquiring lock '" + key + "'");
                            interrupted.initCause(e);
                            throw interrupted;
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
            keyWaiters.remove(waiter);
            if (keyWaiters.isEmpty()) {
                waiters.remove(backendKey, keyWaiters);
            }
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
        }
    }

    /** Removes the handle from the local table, if it is still the one there, and wakes local waiters. */
    void forget(CoreLockHandle handle) {
        forget(handle, null);
    }

    /**
     * As {@link #forget(CoreLockHandle)}, but does not wake {@code self}: the waiter whose own failed attempt this is
     * would otherwise wake itself at once, again and again.
     */
    private void forget(CoreLockHandle handle, Waiter self) {
        if (held.remove(handle.backendKey, handle)) {
            Set<Waiter> keyWaiters = waiters.get(handle.backendKey);
            if (keyWaiters != null) {
                for (Waiter waiter : keyWaiters) {
                    if (waiter != self) {
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
     * One remote attempt for a handle that is not yet in the local table, made by {@code self} (null for a
     * single attempt).
     *
     * @return null if another handle of this manager got the key first, else the backend's answer; when acquired, the
     *     handle is active and its renewal scheduled
     */
    private AcquireResult attempt(CoreLockHandle handle, Waiter self) {
        if (held.putIfAbsent(handle.backendKey, handle) != null) {
            return null;
        }
        AcquireResult result;
        long sentAt = ticker.nanoTime();
        try {
            result = backend.tryAcquire(handle.backendKey, handle.owner, settings.lease());
        } catch (RuntimeException e) {
            forget(handle, self);
            throw asBackendException(e, "could not acquire", handle.key);
        }
        if (!result.isAcquired()) {
            forget(handle, self);
            return result;
        }
        // The lease is counted from when the request was sent: the store's copy can only end later than ours.
        handle.activate(result.fencingToken(), sentAt + leaseNanos);
        LockLoss early = handle.earlyLoss();
        if (early != null) {
            handle.markLost(early.reason(), early.cause());
            throw new LockBackendException("lock '" + handle.key + "' on " + backend.name() + " was lost while it "
                    + "was being acquired (" + early.reason() + "); whether it is free is unknown", early.cause());
        }
        scheduleTimer(handle);
        if (closed.get()) {
            handle.close();
            throw closedException();
        }
        log.debug("acquired lock '{}' (token {})", handle.key, result.fencingToken());
        return result;
    }

    private void scheduleTimer(CoreLockHandle handle) {
        if (!leased) {
            return;
        }
        try {
            if (settings.renewal()) {
                long period = Math.max(1, leaseNanos / 3);
                handle.setTimer(timers.scheduleWithFixedDelay(() -> renew(handle), period, period,
                        TimeUnit.NANOSECONDS));
            } else {
                handle.setTimer(timers.schedule(() -> handle.markLost(LockLoss.Reason.LEASE_EXPIRED, null),
                        leaseNanos, TimeUnit.NANOSECONDS));
            }
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The manager is closing; attempt() sees the closed flag next and releases the handle.
        }
    }

    private void renew(CoreLockHandle handle) {
        if (!handle.isActive()) {
            return;
        }
        long sentAt = ticker.nanoTime();
        try {
            if (backend.renew(handle.backendKey, handle.owner, settings.lease())) {
                handle.extendLease(sentAt + leaseNanos);
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
            throw asBackendException(e, "could not wait for", key);
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

    private LockException asBackendException(RuntimeException e, String what, String key) {
        if (e instanceof LockException) {
            return (LockException) e;
        }
        return new LockBackendException(what + " lock '" + key + "' on " + backend.name() + ": " + e, e);
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
