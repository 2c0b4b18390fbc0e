package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockException;
import io.distlock.LockHandle;
import io.distlock.LockInspector;
import io.distlock.LockListener;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * The complete {@link LockManager} that every backend is built from: a backend supplies the remote operations
 * ({@link LockBackend}), this class supplies everything the contract asks beyond them, once for all backends:
 * <ul>
 *   <li>key and duration validation before any network call (clause 10);</li>
 *   <li>the local table of held keys, so a key held by this manager fails fast with zero round trips (clause 2) and
 *       a local waiter is woken by a local release without asking the backend;</li>
 *   <li>one renewal tick per manager for all its handles, at a third of the lease, which never waits for the
 *       backend: due handles go in batches ({@link LockBackend#renewAllAsync}), at most 16 of them at the backend
 *       at once, and a handle whose lease runs out is reported lost by the tick whatever the backend is doing, so
 *       no handle's renewal or loss report waits behind another's (clauses 5 and 6);</li>
 *   <li>{@code lost()} completed on {@link LockSettings#lossExecutor()}, never on the renewal threads;</li>
 *   <li>bounded waits with one deadline, woken by the backend's release notifications, each backend call given
 *       what is left of the wait (clause 8);</li>
 *   <li>a compensating release after every acquisition that failed at the backend, with back-off from a clean-up
 *       thread until a lease has passed, so an acquisition the store ran after its caller gave up leaves no ghost
 *       lock (clause 9);</li>
 *   <li>whatever a backend throws (runtime exceptions, {@link Error}s, checked exceptions thrown sneakily) or
 *       answers null is an outage ({@link LockBackendException}); a {@link VirtualMachineError} is rethrown as it
 *       is. Neither leaves a key in the local table;</li>
 *   <li>the asynchronous calls ({@link #tryLockAsync}) on the same table, deadline and clean-up, through the
 *       backend's {@link LockBackend#tryAcquireAsync} and {@link LockBackend#subscribeAsync}: a waiting call holds no
 *       thread; release notifications and re-check timers (on the manager's tick thread, which only starts the next
 *       attempt) wake it;</li>
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
    /** First and longest pause between compensating releases of one ambiguous acquisition. */
    private static final long FIRST_COMPENSATION_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long MAX_COMPENSATION_NANOS = TimeUnit.SECONDS.toNanos(1);
    /**
     * Beyond this many pending compensations (a long outage under heavy traffic) further failed attempts are left to
     * their leases, as before compensation existed, so memory stays bounded.
     */
    private static final int MAX_PENDING_COMPENSATIONS = 10_000;
    private static final int RENEWAL_THREADS = 2;
    /**
     * The most renewal batches of one manager at the backend at once. With a backend that renews asynchronously
     * ({@link LockBackend#renewAllAsync}) this, not the two renewal threads, bounds the renewal throughput: enough
     * that 100,000 held locks renew in well under a lease on one Redis, few enough that a manager never floods the
     * store (or a client's connection pool) with its renewals.
     */
    static final int MAX_RENEWALS_IN_FLIGHT = 16;
    /** The answer to an asynchronous call for a key this manager holds: complete, shared, and no thread hop. */
    private static final CompletionStage<Optional<LockHandle>> HELD_HERE =
            CompletableFuture.completedStage(Optional.empty());

    private final LockBackend backend;
    private final LockSettings settings;
    private final Ticker ticker;
    private final long leaseNanos;
    private final boolean leased;
    private final String ownerPrefix;
    /** {@code |MANAGER|} of every owner of this manager, encoded once; see {@link OwnerDescription}. */
    private final String managerPart;
    /** Made on the first {@link #inspector()} call; null while none was asked for or the backend has none. */
    private volatile CoreLockInspector inspector;
    private final AtomicLong handleSequence = new AtomicLong();
    private final ConcurrentHashMap<String, CoreLockHandle> held = new ConcurrentHashMap<>();
    /** The waiting calls of each prefixed key: the {@link Waiter}s of blocking and asynchronous waits. */
    private final KeyedListeners waiters = new KeyedListeners();
    /** One thread per manager runs the renewal tick for all its handles; it never calls the backend. */
    private final ScheduledThreadPoolExecutor timers;
    /** Where renewal batches go to the backend, so a slow batch never delays the tick. */
    private final ThreadPoolExecutor renewers;
    /** Batches of due handles waiting for a place in flight; see {@link #dispatchRenewals}. */
    private final ConcurrentLinkedQueue<List<CoreLockHandle>> renewalQueue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger renewalsInFlight = new AtomicInteger();
    /** Where compensating releases go to the backend; one thread, started when first needed. */
    private final ThreadPoolExecutor cleaner;
    /** Owners whose acquisition failed at the backend and which may hold a ghost lock: released with back-off. */
    private final ConcurrentHashMap<String, Compensation> compensations = new ConcurrentHashMap<>();
    private final AtomicBoolean compensationScheduled = new AtomicBoolean();
    private final boolean systemTicker;
    private final long timeoutNanos;
    private final int batchSize;
    private final long renewAfterNanos;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Attempts between their closed check and their end; close() lets them finish before closing the backend. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Set by close() after a release failed: the remaining handles are left to their leases. */
    private volatile boolean releasesAbandoned;
    /** The settings' listeners, or null when there are none, so that a manager without them does no timing. */
    private final LockListeners listeners;

    private LockManagerCore(LockBackend backend, LockSettings settings) {
        this.backend = backend;
        this.settings = settings;
        this.ticker = settings.ticker();
        this.leaseNanos = settings.lease().toNanos();
        this.leased = backend.needsRenewal();
        byte[] id = new byte[8];
        OWNER_IDS.nextBytes(id);
        this.ownerPrefix = HexFormat.of().formatHex(id) + ":";
        this.managerPart = OwnerDescription.managerPart(settings.managerName());
        this.systemTicker = ticker == Ticker.system();
        this.timeoutNanos = settings.operationTimeout().toNanos();
        this.batchSize = Math.max(1, backend.renewalBatchSize());
        String threadName = "distlock-" + backend.name() + "-renewal";
        this.timers = new ScheduledThreadPoolExecutor(1, daemonThreads(threadName + "-tick"));
        timers.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.renewers = new ThreadPoolExecutor(RENEWAL_THREADS, RENEWAL_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemonThreads(threadName));
        renewers.allowCoreThreadTimeOut(true);
        this.cleaner = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                daemonThreads("distlock-" + backend.name() + "-cleanup"));
        cleaner.allowCoreThreadTimeOut(true);
        this.renewAfterNanos = Math.max(1, leaseNanos / 3);
        this.listeners = LockListeners.open(settings.listeners(), backend.name());
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
     * (which in turn closes only what it owns), also when it rejects the settings.
     *
     * @param backend the backend
     * @param settings the settings
     * @return the manager
     * @throws IllegalArgumentException if renewal is on and the settings cannot keep a lease ({@link #requireRenewable})
     * @throws NullPointerException if an argument is null
     */
    public static LockManager create(LockBackend backend, LockSettings settings) {
        Objects.requireNonNull(backend, "backend must not be null");
        Objects.requireNonNull(settings, "settings must not be null");
        try {
            if (backend.needsRenewal()) {
                requireRenewable(settings);
            }
        } catch (RuntimeException e) {
            closeRejected(backend, e);
            throw e;
        }
        return new LockManagerCore(backend, settings);
    }

    /**
     * Rejects settings under which renewal cannot work: with renewal on, the operation timeout must not be longer
     * than the renewal interval (a third of the lease), so that a renewal that takes its whole timeout still
     * confirms the lock before its lease ends. {@link #create} checks this for every backend that renews; a backend's
     * builder may call it before it connects, to fail without touching the network.
     *
     * @param settings the settings to check
     * @throws IllegalArgumentException naming the operation timeout, the renewal interval and the lease
     * @throws NullPointerException if {@code settings} is null
     */
    public static void requireRenewable(LockSettings settings) {
        Objects.requireNonNull(settings, "settings must not be null");
        Duration interval = settings.lease().dividedBy(3);
        if (settings.renewal() && settings.operationTimeout().compareTo(interval) > 0) {
            throw new IllegalArgumentException("operation timeout " + readable(settings.operationTimeout())
                    + " is longer than the renewal interval " + readable(interval) + " (a third of the lease "
                    + readable(settings.lease()) + "): a renewal that takes its whole timeout would confirm the lock "
                    + "after its lease ended; use a timeout of at most " + readable(interval) + " or a lease of at "
                    + "least " + readable(settings.operationTimeout().multipliedBy(3)));
        }
    }

    /** A duration as the lock URIs write it: {@code 3s}, {@code 333ms}. */
    private static String readable(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static void closeRejected(LockBackend backend, RuntimeException reason) {
        try {
            backend.close();
        } catch (RuntimeException e) {
            reason.addSuppressed(e);
        }
    }

    @Override
    public Optional<LockHandle> tryLock(String key) {
        KeyRules.checkKey(key);
        ensureOpen();
        String backendKey = backendKey(key);
        // Clause 2: a key this manager holds fails here, with no allocation and no round trip.
        LockListeners events = listeners;
        if (held.containsKey(backendKey)) {
            if (events != null) {
                // Not timed: two clock reads would cost more than the answer itself.
                events.contended(key, 0);
            }
            return Optional.empty();
        }
        long started = events == null ? 0 : ticker.nanoTime();
        long now = System.nanoTime();
        CoreLockHandle handle = newHandle(key, backendKey, OwnerDescription.currentThread(), now);
        AcquireResult result = attempt(handle, now + timeoutNanos);
        boolean acquired = result != null && result.isAcquired();
        if (events != null) {
            if (acquired) {
                events.acquired(handle, ticker.nanoTime() - started);
            } else {
                events.contended(key, ticker.nanoTime() - started);
            }
        }
        return acquired ? Optional.of(handle) : Optional.empty();
    }

    @Override
    public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
        KeyRules.checkKey(key);
        KeyRules.checkWait(wait);
        ensureOpen();
        if (wait.isZero()) {
            return tryLock(key);
        }
        long started = ticker.nanoTime();
        long deadline = started + KeyRules.saturatedNanos(wait);
        String backendKey = backendKey(key);
        Waiter waiter = new Waiter();
        LockBackend.Subscription waiting = waiters.add(backendKey, waiter);
        LockBackend.Subscription subscription = null;
        boolean first = true;
        String thread = OwnerDescription.currentThread();
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
                    AcquireResult result;
                    // The first call gets a whole operation timeout, as tryLock(key) would; later ones what is left
                    // of the wait (at least a tenth of a timeout, so a wake-up at the end can still be answered), so
                    // a slow backend cannot stretch the wait by a fresh timeout per attempt.
                    long budget = first ? timeoutNanos
                            : Math.min(timeoutNanos, Math.max(deadline - ticker.nanoTime(), timeoutNanos / 10));
                    long now = System.nanoTime();
                    long callDeadline = now + budget;
                    CoreLockHandle handle = newHandle(key, backendKey, thread, now);
                    first = false;
                    try {
                        if (subscription == null) {
                            // Subscribe before the attempt: a release between a failed attempt and the wait still
                            // wakes us.
                            subscription = subscribe(key, backendKey, waiter, callDeadline);
                        }
                        result = attempt(handle, callDeadline);
                    } catch (LockBackendException e) {
                        // A client that gave up because the thread was interrupted: report the interrupt, not an
                        // outage.
                        if (Thread.interrupted()) {
                            throw interrupted(key, e);
                        }
                        if (!cutShort(budget, callDeadline)) {
                            throw e;
                        }
                        // The store answered "held" within this wait and this later call ran out of what was left of
                        // it: the wait is over, as clause 8.3 says (the attempt is released in the background).
                        result = null;
                    }
                    if (result != null) {
                        if (result.isAcquired()) {
                            if (listeners != null) {
                                listeners.acquired(handle, ticker.nanoTime() - started);
                            }
                            return Optional.of(handle);
                        }
                        long holderLease = result.holderLeaseRemainingNanos();
                        if (holderLease >= 0) {
                            // The holder's lease may run out without any release notification (a crashed holder).
                            recheck = Math.min(recheck, holderLease + TimeUnit.MILLISECONDS.toNanos(1));
                        }
                    }
                }
                long now = ticker.nanoTime();
                long remaining = deadline - now;
                if (remaining <= 0) {
                    if (listeners != null) {
                        listeners.timedOut(key, now - started);
                    }
                    return Optional.empty();
                }
                waiter.await(Math.min(remaining, recheck));
            }
        } finally {
            waiting.close();
            if (subscription != null) {
                closeQuietly(subscription, key);
            }
        }
    }

    @Override
    public CompletionStage<Optional<LockHandle>> tryLockAsync(String key) {
        KeyRules.checkKey(key);
        ensureOpen();
        String backendKey = backendKey(key);
        LockListeners events = listeners;
        if (held.containsKey(backendKey)) {
            if (events != null) {
                events.contended(key, 0);
            }
            return HELD_HERE;
        }
        long started = events == null ? 0 : ticker.nanoTime();
        CompletableFuture<Optional<LockHandle>> promise = new CompletableFuture<>();
        long now = System.nanoTime();
        CoreLockHandle handle = newHandle(key, backendKey, OwnerDescription.currentThread(), now);
        attemptAsync(handle, now + timeoutNanos, (result, error) -> {
            if (error != null) {
                promise.completeExceptionally(error);
                return;
            }
            if (events != null) {
                if (result != null && result.isAcquired()) {
                    events.acquired(handle, ticker.nanoTime() - started);
                } else {
                    events.contended(key, ticker.nanoTime() - started);
                }
            }
            deliver(promise, handle, result);
        });
        return promise;
    }

    @Override
    public CompletionStage<Optional<LockHandle>> tryLockAsync(String key, Duration wait) {
        KeyRules.checkKey(key);
        KeyRules.checkWait(wait);
        ensureOpen();
        if (wait.isZero()) {
            return tryLockAsync(key);
        }
        long started = ticker.nanoTime();
        AsyncWait asyncWait = new AsyncWait(key, backendKey(key), started, started + KeyRules.saturatedNanos(wait));
        asyncWait.start();
        return asyncWait.promise;
    }

    /**
     * Whether a failed call of a bounded wait only ran out of the part of the wait it was given: a later call, whose
     * budget was cut below one operation timeout, failed at or after its deadline. Such a timeout ends the wait
     * (empty) instead of being reported as an outage: the store said "held" earlier in this wait, and on a loaded
     * machine a round trip can take longer than a few milliseconds left of a wait. A real error before the deadline,
     * and any failure of a call that had a whole timeout, stays an outage.
     */
    private boolean cutShort(long budget, long callDeadline) {
        return budget < timeoutNanos && System.nanoTime() - callDeadline >= 0;
    }

    /** Completes {@code promise} with an attempt's answer; a lock its caller no longer wants is released. */
    private static void deliver(CompletableFuture<Optional<LockHandle>> promise, CoreLockHandle handle,
                                AcquireResult result) {
        if (result != null && result.isAcquired()) {
            if (!promise.complete(Optional.of(handle))) {
                // Cancelled (or closed) while the backend was answering: the caller holds nothing.
                handle.close();
            }
        } else {
            promise.complete(Optional.empty());
        }
    }

    /**
     * One remote attempt without blocking: as {@link #attempt}, but the answer goes to {@code then} (exactly once,
     * on whatever thread the backend answers on): the result (null if another handle of this manager got the key
     * first), or the failure as the blocking call would throw it.
     */
    private void attemptAsync(CoreLockHandle handle, long callDeadline,
                              BiConsumer<AcquireResult, Throwable> then) {
        try {
            if (!beginAttempt(handle)) {
                then.accept(null, null);
                return;
            }
        } catch (RuntimeException e) {
            then.accept(null, e);
            return;
        }
        long sentAt = ticker.nanoTime();
        long sentAtSystem = systemTicker ? sentAt : System.nanoTime();
        CompletionStage<AcquireResult> stage;
        try {
            stage = backend.tryAcquireAsync(handle.backendKey, handle.owner, settings.lease(), callDeadline);
            if (stage == null) {
                stage = CompletableFuture.failedFuture(new IllegalStateException("the backend answered null"));
            }
        } catch (Throwable e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((result, error) -> {
            AcquireResult answer;
            try {
                answer = endAttempt(handle, result, unwrap(error), sentAt, sentAtSystem);
            } catch (Throwable e) {
                then.accept(null, e);
                return;
            }
            then.accept(answer, null);
        });
    }

    private static Throwable unwrap(Throwable error) {
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        return error;
    }

    /**
     * One asynchronous bounded wait: the rounds of the blocking loop of {@link #tryLock(String, Duration)} as
     * callbacks. Rounds never overlap: a round ends by completing the promise or by parking, and only one wake-up
     * (a release signal or the re-check timer, whichever comes first) starts the next round, on the tick thread.
     */
    private final class AsyncWait implements Runnable {
        final String key;
        final String backendKey;
        /** On the ticker's scale. */
        final long started;
        final long deadline;
        final CompletableFuture<Optional<LockHandle>> promise = new CompletableFuture<>();
        final Waiter waiter = new Waiter(this);
        /** The caller's thread, encoded: later rounds run on the tick thread, but the caller asked for the lock. */
        final String thread = OwnerDescription.currentThread();
        /** True between a round's end and the wake-up that starts the next one. */
        final AtomicBoolean parked = new AtomicBoolean();
        final AtomicBoolean finished = new AtomicBoolean();
        volatile ScheduledFuture<?> timer;
        volatile LockBackend.Subscription subscription;
        /** This wait's place among the key's waiters; set by {@link #start()} before anything can finish it. */
        volatile LockBackend.Subscription waiting;
        volatile boolean first = true;

        AsyncWait(String key, String backendKey, long started, long deadline) {
            this.key = key;
            this.backendKey = backendKey;
            this.started = started;
            this.deadline = deadline;
        }

        void start() {
            waiting = waiters.add(backendKey, waiter);
            // Any completion, including the caller's cancellation, ends the wait and frees what it holds.
            promise.whenComplete((result, error) -> finish());
            round();
        }

        /** A release signal (the waiter's callback). */
        @Override
        public void run() {
            wake();
        }

        void wake() {
            if (!parked.compareAndSet(true, false)) {
                return;
            }
            ScheduledFuture<?> pending = timer;
            if (pending != null) {
                pending.cancel(false);
            }
            try {
                // Never on the signalling thread: that may be a backend's event thread or a caller closing a handle.
                timers.execute(this::round);
            } catch (RejectedExecutionException e) {
                promise.completeExceptionally(closedException());
            }
        }

        void round() {
            try {
                if (promise.isDone()) {
                    return;
                }
                if (closed.get()) {
                    promise.completeExceptionally(closedException());
                    return;
                }
                waiter.reset();
                waiter.deferred = true;
                if (held.containsKey(backendKey)) {
                    park(MAX_RECHECK_NANOS);
                    return;
                }
                waiter.deferred = false;
                long budget = first ? timeoutNanos
                        : Math.min(timeoutNanos, Math.max(deadline - ticker.nanoTime(), timeoutNanos / 10));
                long callDeadline = System.nanoTime() + budget;
                first = false;
                if (subscription != null) {
                    attemptNow(budget, callDeadline);
                    return;
                }
                // Subscribe before the first attempt, as the blocking wait does.
                CompletionStage<LockBackend.Subscription> subscribing;
                long sentAt = listeners == null ? 0 : ticker.nanoTime();
                try {
                    subscribing = backend.subscribeAsync(backendKey, waiter, callDeadline);
                    if (subscribing == null) {
                        subscribing = CompletableFuture.failedFuture(
                                new IllegalStateException("the backend answered null"));
                    }
                } catch (Throwable e) {
                    subscribing = CompletableFuture.failedFuture(e);
                }
                subscribing.whenComplete((made, error) -> {
                    Throwable cause = error != null ? unwrap(error) : made == null
                            ? new IllegalStateException("the backend answered null") : null;
                    if (cause != null) {
                        if (listeners != null && !(cause instanceof VirtualMachineError)) {
                            listeners.backendError(key, LockListener.Operation.WAIT, cause,
                                    ticker.nanoTime() - sentAt);
                        }
                        promise.completeExceptionally(failure(cause, "could not wait for", key));
                        return;
                    }
                    subscription = made;
                    if (finished.get()) {
                        closeQuietly(made, key);
                        return;
                    }
                    attemptNow(budget, callDeadline);
                });
            } catch (Throwable e) {
                promise.completeExceptionally(e);
            }
        }

        private void attemptNow(long budget, long callDeadline) {
            CoreLockHandle handle = newHandle(key, backendKey, thread, System.nanoTime());
            attemptAsync(handle, callDeadline, (result, error) -> {
                if (error != null && !(error instanceof LockBackendException && cutShort(budget, callDeadline))) {
                    promise.completeExceptionally(error);
                    return;
                }
                if (result != null && result.isAcquired()) {
                    if (listeners != null) {
                        listeners.acquired(handle, ticker.nanoTime() - started);
                    }
                    deliver(promise, handle, result);
                    return;
                }
                long recheck = MAX_RECHECK_NANOS;
                if (result != null && result.holderLeaseRemainingNanos() >= 0) {
                    // The holder's lease may run out without any release notification (a crashed holder).
                    recheck = Math.min(recheck, result.holderLeaseRemainingNanos() + TimeUnit.MILLISECONDS.toNanos(1));
                }
                park(recheck);
            });
        }

        private void park(long recheck) {
            long now = ticker.nanoTime();
            long remaining = deadline - now;
            if (remaining <= 0) {
                if (listeners != null) {
                    listeners.timedOut(key, now - started);
                }
                promise.complete(Optional.empty());
                return;
            }
            parked.set(true);
            if (waiter.signalled()) {
                // Released while this round was looking or asking: go again now.
                wake();
                return;
            }
            try {
                timer = timers.schedule(this::wake, Math.min(remaining, recheck), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                promise.completeExceptionally(closedException());
            }
        }

        private void finish() {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            parked.set(false);
            ScheduledFuture<?> pending = timer;
            if (pending != null) {
                pending.cancel(false);
            }
            waiting.close();
            LockBackend.Subscription made = subscription;
            if (made != null) {
                closeQuietly(made, key);
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Needs a backend that implements {@link LockInspection}; the inspector works through this manager's
     * validation, key prefix, operation timeout and failure rules.
     *
     * @throws UnsupportedOperationException naming the backend if it does not implement {@link LockInspection}
     */
    @Override
    public LockInspector inspector() {
        ensureOpen();
        CoreLockInspector made = inspector;
        if (made != null) {
            return made;
        }
        if (!(backend instanceof LockInspection inspection)) {
            throw new UnsupportedOperationException("the " + backend.name() + " backend (" + backend.getClass()
                    .getName() + ") cannot be inspected: it does not implement " + LockInspection.class.getName());
        }
        // Two racing first calls make two equivalent inspectors; either is fine.
        made = new CoreLockInspector(this, backend, inspection, settings.keyPrefix(), timeoutNanos);
        inspector = made;
        return made;
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
        waiters.signalAll();
        timers.shutdownNow();
        // Asynchronous waits whose next round the tick thread will now never run end here.
        waiters.forEachListener(listener -> {
            if (listener instanceof Waiter waiter && waiter.onSignal() instanceof AsyncWait asyncWait) {
                asyncWait.promise.completeExceptionally(closedException());
            }
        });
        renewers.shutdownNow();
        cleaner.shutdownNow();
        compensateBeforeClose();
        try {
            backend.close();
        } catch (RuntimeException e) {
            log.warn("closing the {} backend failed", backend.name(), e);
        }
        log.debug("closed {} lock manager", backend.name());
        if (listeners != null) {
            listeners.closed();
        }
    }

    @Override
    public String toString() {
        return "LockManager[" + backend.name() + ", " + settings + (closed.get() ? ", closed]" : "]");
    }

    // ---- machinery used by CoreLockHandle ----

    boolean withinLease(CoreLockHandle handle) {
        if (!leased) {
            return true;
        }
        if (ticker.nanoTime() - handle.leaseDeadline() >= 0) {
            return false;
        }
        // A test ticker that stands still must not keep a lock "held" that the store expired on its own clock.
        return systemTicker || System.nanoTime() - handle.leaseDeadlineSystem() < 0;
    }

    /** Tells the listeners that a held handle was closed; called after its remote release, whatever it answered. */
    void reportRelease(CoreLockHandle handle) {
        if (listeners != null) {
            listeners.released(handle, ticker.nanoTime() - handle.acquiredAt());
        }
    }

    void releaseRemote(CoreLockHandle handle) {
        if (releasesAbandoned) {
            log.debug("not releasing lock '{}' on a closing manager whose backend is unreachable", handle.key);
            return;
        }
        long sentAt = listeners == null ? 0 : ticker.nanoTime();
        try {
            if (backend.release(handle.backendKey, handle.owner)) {
                log.debug("released lock '{}' (token {})", handle.key, handle.fencingToken());
            } else {
                log.debug("lock '{}' (token {}) had already expired when released", handle.key,
                        handle.fencingToken());
            }
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // Not rethrown: the guarded work has run, and failing it here would invite a retry that runs it twice.
            log.warn("could not release lock '{}' (token {}) on {}; it frees when its lease ends", handle.key,
                    handle.fencingToken(), backend.name(), e);
            if (listeners != null) {
                listeners.backendError(handle.key, LockListener.Operation.RELEASE, e, ticker.nanoTime() - sentAt);
            }
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
            waiters.signal(handle.backendKey);
        }
    }

    /**
     * Removes the pending handle of a failed attempt and wakes only the waiters that deferred to it: the key is still
     * held elsewhere, so the others have nothing new to try (see {@link Waiter#deferred}).
     */
    private void forgetAttempt(CoreLockHandle handle) {
        if (held.remove(handle.backendKey, handle)) {
            waiters.signalIf(handle.backendKey, listener -> listener instanceof Waiter waiter && waiter.deferred);
        }
    }

    void reportLoss(CoreLockHandle handle, LockLoss loss) {
        log.warn("lost lock '{}' (token {}) on {}: {}", loss.key(), loss.fencingToken(), backend.name(),
                loss.reason(), loss.cause());
        if (listeners != null) {
            listeners.lost(handle, loss, ticker.nanoTime() - handle.acquiredAt());
        }
        if (loss.reason() == LockLoss.Reason.BACKEND_UNREACHABLE) {
            // The store may still hold it (a renewal it ran late, a server that was only paused): give it back as
            // soon as the store answers, rather than leaving it to its lease.
            compensate(handle.key, handle.backendKey, handle.owner);
        }
    }

    /** Completes {@code future} on the loss executor; inline if the executor refuses, so no loss goes unreported. */
    void completeLoss(CompletableFuture<LockLoss> future, LockLoss event) {
        try {
            settings.lossExecutor().execute(() -> future.complete(event));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            log.warn("the loss executor refused the loss report of '{}'; completing it on this thread", event.key(),
                    e);
            future.complete(event);
        }
    }

    // ---- internals ----

    private String backendKey(String key) {
        String prefix = settings.keyPrefix();
        return prefix.isEmpty() ? key : prefix.concat(key);
    }

    /**
     * A pending handle whose owner describes this acquisition: the acquiring thread's name ({@code thread}, encoded)
     * and the wall clock at {@code nowNanos} ({@link System#nanoTime()}, which the caller reads anyway for the
     * call's deadline); see {@link OwnerDescription}.
     */
    private CoreLockHandle newHandle(String key, String backendKey, String thread, long nowNanos) {
        return new CoreLockHandle(this, key, backendKey, OwnerDescription.owner(ownerPrefix,
                handleSequence.incrementAndGet(), OwnerDescription.wallMillis(nowNanos), managerPart, thread));
    }

    /**
     * One remote attempt for a handle that is not yet in the local table.
     *
     * @return null if another handle of this manager got the key first, else the backend's answer; when acquired, the
     *     handle is active and its renewal scheduled
     */
    private AcquireResult attempt(CoreLockHandle handle, long callDeadline) {
        if (!beginAttempt(handle)) {
            return null;
        }
        long sentAt = ticker.nanoTime();
        long sentAtSystem = systemTicker ? sentAt : System.nanoTime();
        AcquireResult result = null;
        Throwable error = null;
        try {
            result = backend.tryAcquire(handle.backendKey, handle.owner, settings.lease(), callDeadline);
        } catch (Throwable e) {
            error = e;
        }
        return endAttempt(handle, result, error, sentAt, sentAtSystem);
    }

    /**
     * Puts a new handle in the local table and counts it in flight.
     *
     * @return false if another handle of this manager got the key first
     * @throws IllegalStateException if the manager is closed; nothing is left in the table then
     */
    private boolean beginAttempt(CoreLockHandle handle) {
        if (held.putIfAbsent(handle.backendKey, handle) != null) {
            return false;
        }
        // Counted before the closed check, so close() either sees this attempt in flight or the attempt sees close.
        inFlight.incrementAndGet();
        if (closed.get()) {
            forgetAttempt(handle);
            inFlight.decrementAndGet();
            throw closedException();
        }
        return true;
    }

    /**
     * Ends an attempt begun by {@link #beginAttempt} with the backend's answer ({@code result}) or failure
     * ({@code error}): activates the handle or takes it out of the table, and ends the in-flight count.
     *
     * @return the backend's answer; when acquired, the handle is active
     */
    private AcquireResult endAttempt(CoreLockHandle handle, AcquireResult result, Throwable error, long sentAt,
                                     long sentAtSystem) {
        boolean active = false;
        try {
            if (error != null) {
                // The store may have granted the lock although its answer never came: give it back later.
                compensate(handle.key, handle.backendKey, handle.owner);
                if (listeners != null && !(error instanceof VirtualMachineError)) {
                    listeners.backendError(handle.key, LockListener.Operation.ACQUIRE, error,
                            ticker.nanoTime() - sentAt);
                }
                if (error instanceof VirtualMachineError fatal) {
                    throw fatal;
                }
                throw failure(error, "could not acquire", handle.key);
            }
            if (result == null) {
                compensate(handle.key, handle.backendKey, handle.owner);
                if (listeners != null) {
                    listeners.backendError(handle.key, LockListener.Operation.ACQUIRE,
                            new IllegalStateException("the backend answered null"), ticker.nanoTime() - sentAt);
                }
                throw failure(new IllegalStateException("the backend answered null"), "could not acquire",
                        handle.key);
            }
            if (!result.isAcquired()) {
                return result;
            }
            // The lease is counted from when the request was sent: the store's copy can only end later than ours.
            if (!handle.activate(result.fencingToken(), sentAt, sentAtSystem, leaseNanos)) {
                // close() gave up waiting for this attempt and closed the handle: give the lock back.
                releaseRemote(handle);
                throw closedException();
            }
            active = true;
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
            // Whatever ended the attempt (an answer, an exception, an Error): a handle that did not become active
            // leaves the table, so the key is never "held" by an attempt that failed.
            if (!active) {
                forgetAttempt(handle);
            }
            inFlight.decrementAndGet();
        }
    }

    /**
     * The renewal tick: reports every handle whose lease ran out (on the ticker or the system clock) and hands the
     * due ones to the renewal threads in batches. It never calls the backend and survives anything, so one handle
     * can never stop the renewal of the others (a periodic task that throws is never run again).
     */
    private void tick() {
        try {
            long now = ticker.nanoTime();
            long nowSystem = systemTicker ? now : System.nanoTime();
            List<CoreLockHandle> batch = null;
            for (CoreLockHandle handle : held.values()) {
                try {
                    if (!handle.isActive()) {
                        continue;
                    }
                    if (now - handle.leaseDeadline() >= 0 || nowSystem - handle.leaseDeadlineSystem() >= 0) {
                        if (!settings.renewal()) {
                            handle.markLost(LockLoss.Reason.LEASE_EXPIRED, null);
                        } else {
                            // No renewal was confirmed for a whole lease: whatever the backend is doing, the lock
                            // must be assumed expired (clause 6.3).
                            handle.markLost(LockLoss.Reason.BACKEND_UNREACHABLE, handle.renewalFailure);
                        }
                        continue;
                    }
                    if (settings.renewal() && !handle.renewing && (now - handle.renewedAt() >= renewAfterNanos
                            || nowSystem - handle.renewedAtSystem() >= renewAfterNanos)) {
                        handle.renewing = true;
                        if (batch == null) {
                            batch = new ArrayList<>(Math.min(batchSize, 16));
                        }
                        batch.add(handle);
                        if (batch.size() >= batchSize) {
                            submitRenewal(batch);
                            batch = null;
                        }
                    }
                } catch (Throwable e) {
                    handle.renewing = false;
                    log.error("renewal tick failed for lock '{}' on {}", handle.key, backend.name(), e);
                }
            }
            if (batch != null) {
                submitRenewal(batch);
            }
        } catch (Throwable e) {
            log.error("renewal tick of the {} lock manager failed; it runs again", backend.name(), e);
        }
    }

    /** Queues a batch of due handles (each marked {@code renewing}) and sends what the in-flight bound allows. */
    private void submitRenewal(List<CoreLockHandle> batch) {
        renewalQueue.add(batch);
        dispatchRenewals();
    }

    /**
     * Sends queued batches while fewer than {@link #MAX_RENEWALS_IN_FLIGHT} are at the backend. Called by the tick
     * after queueing and by every batch that completes, so the queue drains as fast as the store answers, and the
     * store never has more than the bound of this manager's batches at once (a tick of 100,000 due handles queues
     * hundreds of batches, it does not send them all at the same instant).
     */
    private void dispatchRenewals() {
        while (!renewalQueue.isEmpty()) {
            int inFlightNow = renewalsInFlight.get();
            if (inFlightNow >= MAX_RENEWALS_IN_FLIGHT) {
                return;
            }
            if (!renewalsInFlight.compareAndSet(inFlightNow, inFlightNow + 1)) {
                continue;
            }
            List<CoreLockHandle> batch = renewalQueue.poll();
            if (batch == null) {
                // Another dispatcher took the last one; whoever queues next dispatches again.
                renewalsInFlight.decrementAndGet();
                continue;
            }
            try {
                renewers.execute(() -> sendRenewal(batch));
            } catch (RejectedExecutionException e) {
                // The manager is closing.
                renewalsInFlight.decrementAndGet();
                batch.forEach(handle -> handle.renewing = false);
                renewalQueue.clear();
                return;
            }
        }
    }

    /**
     * Sends one batch from a renewal thread ({@link LockBackend#renewAllAsync}: a blocking backend answers here, an
     * asynchronous one later on its own thread) and handles its results on a renewal thread. A stage that has not
     * completed one operation timeout after the batch's deadline counts as failed, so it frees its place in flight.
     */
    private void sendRenewal(List<CoreLockHandle> queued) {
        // Handles released or lost while their batch waited for a place are not sent.
        List<CoreLockHandle> batch = new ArrayList<>(queued.size());
        List<Renewal> renewals = new ArrayList<>(queued.size());
        for (CoreLockHandle handle : queued) {
            if (handle.isActive()) {
                batch.add(handle);
                renewals.add(new Renewal(handle.backendKey, handle.owner));
            } else {
                handle.renewing = false;
            }
        }
        if (batch.isEmpty()) {
            renewalDone(batch);
            return;
        }
        long sentAt = ticker.nanoTime();
        long sentAtSystem = systemTicker ? sentAt : System.nanoTime();
        CompletableFuture<List<RenewalResult>> answered;
        try {
            CompletionStage<List<RenewalResult>> stage = backend.renewAllAsync(renewals, settings.lease(),
                    sentAtSystem + timeoutNanos);
            answered = stage == null ? CompletableFuture.failedFuture(new LockBackendException(backend.name()
                    + " answered null to a renewal of " + batch.size() + " locks")) : stage.toCompletableFuture();
        } catch (VirtualMachineError e) {
            renewalDone(batch);
            throw e;
        } catch (Throwable e) {
            answered = CompletableFuture.failedFuture(e);
        }
        if (answered.isDone()) {
            renewed(batch, sentAt, sentAtSystem, answered);
            return;
        }
        CompletableFuture<List<RenewalResult>> bounded = answered.copy().orTimeout(2 * timeoutNanos,
                TimeUnit.NANOSECONDS);
        bounded.whenComplete((results, failure) -> {
            try {
                renewers.execute(() -> renewed(batch, sentAt, sentAtSystem, bounded));
            } catch (RejectedExecutionException e) {
                // The manager is closing.
                renewalDone(batch);
            }
        });
    }

    private void renewalDone(List<CoreLockHandle> batch) {
        batch.forEach(handle -> handle.renewing = false);
        renewalsInFlight.decrementAndGet();
        dispatchRenewals();
    }

    /** Marks each handle of a completed batch by its result, then frees the batch's place in flight. */
    private void renewed(List<CoreLockHandle> batch, long sentAt, long sentAtSystem,
                         CompletableFuture<List<RenewalResult>> answered) {
        try {
            markRenewed(batch, sentAt, sentAtSystem, answered);
        } finally {
            renewalDone(batch);
        }
    }

    private void markRenewed(List<CoreLockHandle> batch, long sentAt, long sentAtSystem,
                             CompletableFuture<List<RenewalResult>> answered) {
        List<RenewalResult> results = null;
        Throwable batchFailure = null;
        try {
            results = answered.join();
            if (results == null || results.size() != batch.size()) {
                batchFailure = new LockBackendException(backend.name() + " answered " + (results == null ? "null"
                        : results.size() + " results") + " to a renewal of " + batch.size() + " locks");
                results = null;
            }
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof VirtualMachineError error) {
                throw error;
            }
            batchFailure = cause instanceof java.util.concurrent.TimeoutException
                    ? new LockBackendException("renewal of " + batch.size() + " locks on " + backend.name()
                    + " did not complete within twice the operation timeout", cause) : cause;
        }
        for (int i = 0; i < batch.size(); i++) {
            CoreLockHandle handle = batch.get(i);
            try {
                RenewalResult result = results == null ? null : results.get(i);
                RenewalResult.Status status = result == null ? RenewalResult.Status.FAILED : result.status();
                switch (status) {
                    case RENEWED -> {
                        handle.renewed(sentAt, sentAtSystem, leaseNanos);
                        if (listeners != null && handle.isActive()) {
                            listeners.renewed(handle);
                        }
                        if (handle.isLost()) {
                            // Confirmed after its lease had already run out here: the store holds a lock nobody
                            // uses any more.
                            compensate(handle.key, handle.backendKey, handle.owner);
                        }
                    }
                    case NOT_OWNER -> handle.markLost(LockLoss.Reason.NOT_OWNER, null);
                    default -> {
                        Throwable cause = result != null && result.cause() != null ? result.cause()
                                : batchFailure != null ? batchFailure
                                : new LockBackendException(backend.name() + " answered null for a renewal");
                        handle.renewalFailure = cause;
                        log.debug("renewal of lock '{}' failed; retrying within the lease", handle.key, cause);
                        if (listeners != null && handle.isActive()) {
                            listeners.renewalFailed(handle, cause);
                        }
                    }
                }
            } finally {
                handle.renewing = false;
            }
        }
    }

    /**
     * Reports this manager's handle of {@code backendKey} lost if it is {@code owner}'s: its lock was force-released
     * through an inspector of this manager. Handles of other managers find out at their next renewal.
     */
    void releasedByOperator(String backendKey, String owner) {
        CoreLockHandle handle = held.get(backendKey);
        if (handle != null && handle.owner.equals(owner)) {
            handle.markLost(LockLoss.Reason.NOT_OWNER, null);
        }
    }

    private void backendReportedLoss(String backendKey, String owner, LockLoss.Reason reason, Throwable cause) {
        CoreLockHandle handle = held.get(backendKey);
        if (handle != null && handle.owner.equals(owner)) {
            handle.markLost(reason, cause);
        }
    }

    // ---- compensating releases ----

    /** One owner that may hold a ghost lock, and when to try releasing it next. */
    private static final class Compensation {
        final String key;
        final String backendKey;
        final String owner;
        /** System clock: a lease after the failed request, when the store has expired whatever it granted. */
        final long until;
        long next;
        long pause = FIRST_COMPENSATION_NANOS;

        Compensation(String key, String backendKey, String owner, long until, long next) {
            this.key = key;
            this.backendKey = backendKey;
            this.owner = owner;
            this.until = until;
            this.next = next;
        }
    }

    /**
     * Releases {@code owner}'s lock of {@code backendKey} from the clean-up thread until it was released or a lease
     * (plus a timeout for the request in flight) has passed. Never blocks. While the store does not answer, tries
     * again at 100 ms doubling up to 1 s, so the key frees within about a second of the store answering again; once
     * the store answered "not held" (the failed request was never run, or not yet: a client may still retry it), the
     * pause keeps doubling without that cap, so a recovered store sees a few calls per owner, not one a second.
     */
    private void compensate(String key, String backendKey, String owner) {
        try {
            long now = System.nanoTime();
            if (compensations.size() >= MAX_PENDING_COMPENSATIONS) {
                log.debug("not releasing a possibly granted lock '{}' later: {} releases pending already; it frees "
                        + "when its lease ends", key, MAX_PENDING_COMPENSATIONS);
                return;
            }
            compensations.putIfAbsent(owner, new Compensation(key, backendKey, owner,
                    now + leaseNanos + timeoutNanos, now + FIRST_COMPENSATION_NANOS));
            scheduleCompensation(FIRST_COMPENSATION_NANOS);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            log.warn("could not schedule the release of a possibly granted lock '{}'; it frees when its lease ends",
                    key, e);
        }
    }

    private void scheduleCompensation(long delayNanos) {
        if (closed.get() || !compensationScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            timers.schedule(() -> {
                try {
                    cleaner.execute(this::compensationPass);
                } catch (RejectedExecutionException e) {
                    compensationScheduled.set(false);
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            compensationScheduled.set(false);
        }
    }

    /**
     * One pass over the pending compensations that are due. A call that fails ends the pass (the store is most
     * likely down for all of them), so an outage costs one timeout per pass, not one per pending owner.
     */
    private void compensationPass() {
        long soonest = Long.MAX_VALUE;
        try {
            long now = System.nanoTime();
            Iterator<Compensation> pending = compensations.values().iterator();
            boolean failed = false;
            while (pending.hasNext()) {
                Compensation c = pending.next();
                if (now - c.until >= 0) {
                    pending.remove();
                    continue;
                }
                if (!failed && now - c.next >= 0) {
                    boolean answered = false;
                    try {
                        if (backend.release(c.backendKey, c.owner)) {
                            log.info("released lock '{}' on {}, which the store granted to an acquisition that had "
                                    + "already failed", c.key, backend.name());
                            pending.remove();
                            continue;
                        }
                        answered = true;
                    } catch (VirtualMachineError e) {
                        throw e;
                    } catch (Throwable e) {
                        failed = true;
                        log.debug("compensating release of '{}' failed; retrying", c.key, e);
                    }
                    now = System.nanoTime();
                    c.pause = answered ? c.pause * 2 : Math.min(c.pause * 2, MAX_COMPENSATION_NANOS);
                    c.next = now + c.pause;
                }
                soonest = Math.min(soonest, Math.max(0, c.next - now));
            }
        } finally {
            compensationScheduled.set(false);
            if (!compensations.isEmpty()) {
                scheduleCompensation(soonest == Long.MAX_VALUE ? FIRST_COMPENSATION_NANOS
                        : Math.max(TimeUnit.MILLISECONDS.toNanos(10), soonest));
            }
        }
    }

    /** On close: one last bounded pass, so a manager closed right after an outage leaves no ghost lock behind. */
    private void compensateBeforeClose() {
        long deadline = System.nanoTime() + timeoutNanos;
        for (Compensation c : compensations.values()) {
            if (System.nanoTime() - deadline >= 0 || releasesAbandoned) {
                break;
            }
            try {
                backend.release(c.backendKey, c.owner);
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) {
                log.debug("compensating release of '{}' failed on close; it frees when its lease ends", c.key, e);
                break;
            }
        }
        compensations.clear();
    }

    private LockBackend.Subscription subscribe(String key, String backendKey, Waiter waiter, long callDeadline) {
        LockBackend.Subscription subscription;
        long sentAt = listeners == null ? 0 : ticker.nanoTime();
        try {
            subscription = backend.subscribe(backendKey, waiter, callDeadline);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            if (listeners != null) {
                listeners.backendError(key, LockListener.Operation.WAIT, e, ticker.nanoTime() - sentAt);
            }
            throw failure(e, "could not wait for", key);
        }
        if (subscription == null) {
            throw failure(new IllegalStateException("the backend answered null"), "could not wait for", key);
        }
        return subscription;
    }

    private void closeQuietly(LockBackend.Subscription subscription, String key) {
        try {
            subscription.close();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            // The wait is over either way; a subscription that failed to close only costs a stray notification.
            log.debug("closing the release subscription for '{}' failed", key, e);
        }
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, count.getAndIncrement() == 0 ? name : name + "-" + count.get());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * What a backend failure means to the caller: the manager being closed under the call (the backend's client
     * shutting down) is {@link IllegalStateException}, not an outage (clause 11.3); anything else, including an
     * {@link Error} or a checked exception thrown sneakily, is an outage.
     */
    RuntimeException failure(Throwable e, String what, String key) {
        if (closed.get()) {
            IllegalStateException closing = closedException();
            closing.initCause(e);
            return closing;
        }
        if (e instanceof LockException lockException) {
            return lockException;
        }
        return new LockBackendException(what + " lock '" + key + "' on " + backend.name() + ": " + e, e);
    }

    private static InterruptedException interrupted(String key, Throwable cause) {
        InterruptedException interrupted = new InterruptedException("interrupted while acquiring lock '" + key + "'");
        interrupted.initCause(cause);
        return interrupted;
    }

    void ensureOpen() {
        if (closed.get()) {
            throw closedException();
        }
    }

    private IllegalStateException closedException() {
        return new IllegalStateException("this " + backend.name() + " lock manager is closed");
    }
}
