package io.distlock;

/**
 * Receives what a {@link LockManager} does, with timings, for metrics, traces and audit logs: each acquisition's
 * outcome, each release and loss, renewals and backend errors. Set through {@link LockSettings#withListener} (and so
 * through every backend's builder), or for a URI through {@link LockManagers#create(java.net.URI,
 * java.util.function.UnaryOperator)}. Every method has an empty default, so a listener implements only what it needs.
 *
 * <p><b>Threads:</b> a listener is called synchronously, after the event happened and outside every lock and
 * critical section of the manager, on the thread where the event happened: the caller's thread for acquisitions,
 * contention, time-outs, releases and their backend errors; the manager's renewal threads for renewals, renewal
 * failures and the losses they find; its renewal tick for leases that ran out; the backend's event thread for a lost
 * session. For one handle, {@code acquired} comes first on the acquiring thread and {@code released} or {@code lost}
 * ends it, but another thread can close or lose the handle while {@code acquired} is still running: a listener that
 * keeps state per handle checks {@link LockHandle#isHeld()} after recording it. A listener must be
 * thread safe and fast (a counter update, a log line): a listener that blocks delays the thread that called it, e.g.
 * the renewal of other locks, so one that needs to block hands the event to an executor of its own.
 *
 * <p><b>Failures:</b> whatever a listener throws (any {@link Throwable} except a {@link VirtualMachineError}) is
 * caught and logged at warn on the logger {@code io.distlock.spi.LockListeners}, the first time and then at most once
 * a minute per listener with the number of failures since. It never changes the outcome for the caller, never stops
 * the renewal of a lock and never stops the other listeners.
 *
 * <p><b>Cost:</b> a manager without listeners does no timing work for them; with listeners, a key this manager holds
 * still fails with zero round trips, and its {@link #contended} reports a wait of 0, because the answer came from the
 * manager's own table without being timed. Times are measured on {@link LockSettings#ticker()}.
 *
 * <p>Keys are the user's keys, without {@link LockSettings#keyPrefix()}. Keys are unbounded in number: do not use
 * them as metric tags.
 */
public interface LockListener {

    /** The backend operation that failed, for {@link #backendError}. */
    enum Operation {
        /** An acquisition attempt ({@code tryLock}, and each attempt of a bounded wait). */
        ACQUIRE,
        /** Subscribing to release notifications at the start of a bounded wait. */
        WAIT,
        /** The release of a handle being closed; the handle is released here and its lock frees with its lease. */
        RELEASE
    }

    /**
     * The manager was built and is about to hand out locks. Called once, on the thread that built it, before any
     * other call. A listener that throws here refuses the manager: it gets no further calls from it (e.g. a listener
     * that keeps per-manager state and already serves another manager), and the manager works without it.
     *
     * @param backend the backend's name as the manager reports it, e.g. {@code redis} or {@code local:orders}
     */
    default void opened(String backend) {
    }

    /**
     * A lock was acquired.
     *
     * @param handle the new handle; the same instance is passed to later calls for this lock
     * @param waitedNanos from the start of the {@code tryLock} call to the acquisition, including any wait
     */
    default void acquired(LockHandle handle, long waitedNanos) {
    }

    /**
     * A single attempt ({@link LockManager#tryLock(String)}, or a zero wait) found the key held: the fail-fast
     * outcome.
     *
     * @param key the key
     * @param waitedNanos how long the attempt took; 0 when a handle of this manager holds the key (answered locally)
     */
    default void contended(String key, long waitedNanos) {
    }

    /**
     * A bounded wait ({@link LockManager#tryLock(String, java.time.Duration)} with a positive wait) ran out with the
     * key still held.
     *
     * @param key the key
     * @param waitedNanos from the start of the call to when it gave up
     */
    default void timedOut(String key, long waitedNanos) {
    }

    /**
     * A held handle was closed. Called after the backend was asked to release it, also when that failed (then
     * {@link #backendError} with {@link Operation#RELEASE} came first).
     *
     * @param handle the handle
     * @param heldNanos from its acquisition to its release
     */
    default void released(LockHandle handle, long heldNanos) {
    }

    /**
     * A held lock was lost (its {@link LockHandle#lost()} completes with the same value). No {@link #released} call
     * follows for this handle.
     *
     * @param handle the handle
     * @param loss why
     * @param heldNanos from its acquisition to the loss
     */
    default void lost(LockHandle handle, LockLoss loss, long heldNanos) {
    }

    /**
     * The backend confirmed the renewal of a held lock.
     *
     * @param handle the handle
     */
    default void renewed(LockHandle handle) {
    }

    /**
     * A renewal of a held lock failed (the backend did not answer or failed); it is retried within the lease, and the
     * lock is reported {@linkplain #lost lost} if none succeeds for a whole lease.
     *
     * @param handle the handle
     * @param cause what the backend raised
     */
    default void renewalFailed(LockHandle handle, Throwable cause) {
    }

    /**
     * A backend call made for a caller failed; the caller gets {@link LockBackendException} (acquire, wait) or
     * nothing (release: the work under the lock has run).
     *
     * @param key the key
     * @param operation what was asked
     * @param error what the backend raised
     * @param elapsedNanos how long the failed call took
     */
    default void backendError(String key, Operation operation, Throwable error, long elapsedNanos) {
    }

    /** The manager was closed; no call follows. Called once, on the thread that closed it, after its backend. */
    default void closed() {
    }
}
