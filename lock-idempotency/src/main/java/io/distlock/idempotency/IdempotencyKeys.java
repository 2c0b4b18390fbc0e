package io.distlock.idempotency;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.idempotency.spi.RecordStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an operation at most once per idempotency key and replays its result to duplicates, across replicas:
 * <pre>{@code
 * Receipt receipt = idempotency.execute(request.idempotencyKey(), request.bodyHash(), Duration.ofHours(24),
 *         ResultCodec.serializable(Receipt.class), lock -> payments.capture(request, lock.fencingToken()));
 * }</pre>
 * <ul>
 *   <li>The first request with a key takes a distlock lock on it, claims the key in the store with its fencing token,
 *       runs the operation, and replaces its claim with the encoded result and the request's fingerprint for
 *       {@code ttl}.</li>
 *   <li>A duplicate while it runs fails fast with {@link RequestInProgressException} (one lock attempt).</li>
 *   <li>A later duplicate gets the stored result without running the operation (one store read, no lock).</li>
 *   <li>The same key with another fingerprint fails with {@link KeyReusedException}.</li>
 *   <li>An operation that throws gives its claim up, so a retry runs it again — unless failures are recorded
 *       ({@link Builder#recordFailures(boolean)}), in which case duplicates get {@link OperationFailedException}.</li>
 *   <li>If the lock is lost while the operation runs and a later run takes the key over (it replaces the claim
 *       before it runs), this run's result is not stored and the caller gets {@link LockLostDuringOperationException}:
 *       two runs overlapped, and only fencing at the resource kept them apart. If nobody took over, the run
 *       completes normally: no other run can have started.</li>
 *   <li>A claim left by a run that died is taken over by the next request with the same fingerprint.</li>
 *   <li>A claim has its own lifetime ({@link Builder#claimTtl(Duration)}, default one hour, and never shorter than
 *       the replay ttl), so an operation that runs longer than the replay ttl keeps its result. If even the claim
 *       expired under a run, the run still stores its result as long as no later run claimed the key.</li>
 * </ul>
 * Costs: a first run is one store read, one lock attempt, two store writes and the release; a replay one read.
 * An outage of the lock backend or the store throws {@link io.distlock.LockBackendException}. Thread safe.
 */
public final class IdempotencyKeys {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);
    static final String LOCK_PREFIX = "idempotency:";
    static final String RECORD_PREFIX = "idempotency:record:";

    private final LockManager locks;
    private final RecordStore store;
    private final boolean recordFailures;
    private final int maxResultBytes;
    private final Duration claimTtl;
    private final IdempotencyListener listener;
    private final AtomicBoolean listenerFailed = new AtomicBoolean();

    private IdempotencyKeys(Builder builder) {
        this.listener = builder.listener;
        this.locks = builder.locks;
        this.store = builder.store;
        this.recordFailures = builder.recordFailures;
        this.claimTtl = builder.claimTtl;
        this.maxResultBytes = Math.min(builder.maxResultBytes, store.maxValueBytes() - Records.HEADER);
    }

    /**
     * Starts a builder; the lock manager and the store are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs {@code operation} once for {@code key}, or replays its stored result.
     *
     * @param key the idempotency key from the client, at most 1000 UTF-8 bytes
     * @param fingerprint what identifies the request's content (e.g. a hash of its body); stored as SHA-256
     * @param ttl how long the result is replayed
     * @param codec how the result is stored
     * @param operation the operation; it gets the lock handle for fencing
     * @param <T> the operation's result type
     * @return the operation's result, from this run or replayed
     * @throws RequestInProgressException if a request with this key is running
     * @throws KeyReusedException if the key was used with another fingerprint
     * @throws LockLostDuringOperationException if the lock was lost while the operation ran
     * @throws ResultTooLargeException if the encoded result exceeds the limit (the operation ran; nothing stored)
     * @throws ResultNotStoredException if the operation ran but the store failed to take its result
     * @throws OperationFailedException if the operation threw a checked exception, or a recorded failure is replayed
     * @throws io.distlock.LockBackendException if the lock backend or the store failed
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the key is blank or too long, or the ttl is not positive
     */
    public <T> T execute(String key, String fingerprint, Duration ttl, ResultCodec<T> codec,
                         IdempotentOperation<T> operation) {
        Records.checkKey("idempotency key", key, Records.MAX_KEY_BYTES);
        Objects.requireNonNull(fingerprint, "fingerprint must not be null");
        Records.checkTtl(ttl);
        Objects.requireNonNull(codec, "codec must not be null");
        Objects.requireNonNull(operation, "operation must not be null");
        IdempotencyListener listener = this.listener;
        if (listener == null) {
            return executeChecked(key, fingerprint, ttl, codec, operation);
        }
        long started = System.nanoTime();
        boolean[] ran = new boolean[1];
        IdempotencyListener.Outcome outcome = IdempotencyListener.Outcome.FAILED;
        try {
            T result = executeChecked(key, fingerprint, ttl, codec, lock -> {
                ran[0] = true;
                return operation.run(lock);
            });
            outcome = ran[0] ? IdempotencyListener.Outcome.EXECUTED : IdempotencyListener.Outcome.REPLAYED;
            return result;
        } catch (RequestInProgressException e) {
            // Thrown by the operation itself (a nested call), it is the operation's failure.
            outcome = ran[0] ? IdempotencyListener.Outcome.FAILED : IdempotencyListener.Outcome.IN_PROGRESS;
            throw e;
        } catch (KeyReusedException e) {
            outcome = ran[0] ? IdempotencyListener.Outcome.FAILED : IdempotencyListener.Outcome.KEY_REUSED;
            throw e;
        } finally {
            notifyListener(listener, outcome, System.nanoTime() - started);
        }
    }

    private void notifyListener(IdempotencyListener listener, IdempotencyListener.Outcome outcome, long nanos) {
        try {
            listener.finished(outcome, nanos);
        } catch (RuntimeException e) {
            if (listenerFailed.compareAndSet(false, true)) {
                log.warn("idempotency listener {} failed; further failures are logged at debug", listener, e);
            } else {
                log.debug("idempotency listener {} failed", listener, e);
            }
        }
    }

    /** {@link #execute} after its arguments were checked. */
    private <T> T executeChecked(String key, String fingerprint, Duration ttl, ResultCodec<T> codec,
                                 IdempotentOperation<T> operation) {
        byte[] fingerprintHash = Records.hash(fingerprint);
        String recordKey = RECORD_PREFIX + key;

        // A late duplicate, the common case of a retry, is answered from the store without taking the lock.
        Optional<Records.Parsed> stored = read(key, recordKey);
        if (stored.isPresent() && stored.get().status() != Records.CLAIMED) {
            return replay(key, stored.get(), fingerprintHash, codec);
        }
        Optional<LockHandle> lock = locks.tryLock(LOCK_PREFIX + key);
        if (lock.isEmpty()) {
            // The holder may have stored its result between our read and our attempt.
            stored = read(key, recordKey);
            if (stored.isPresent() && stored.get().status() != Records.CLAIMED) {
                return replay(key, stored.get(), fingerprintHash, codec);
            }
            throw new RequestInProgressException(key);
        }
        try (LockHandle handle = lock.get()) {
            byte[] claim = Records.encode(Records.CLAIMED, fingerprintHash, handle.fencingToken(), new byte[0]);
            // The claim lives as long as a run may take, not as long as its result is replayed.
            Duration claimLife = claimTtl.compareTo(ttl) > 0 ? claimTtl : ttl;
            if (!store.putIfAbsent(recordKey, claim, claimLife)) {
                Optional<byte[]> existing = store.get(recordKey);
                Records.Parsed record = existing.map(bytes -> Records.parse(key, bytes)).orElse(null);
                if (record != null && record.status() != Records.CLAIMED) {
                    return replay(key, record, fingerprintHash, codec);
                }
                if (record != null && !Arrays.equals(record.fingerprint(), fingerprintHash)) {
                    throw new KeyReusedException(key);
                }
                // A claim although we hold the lock: its run lost its lock or died. Taking the claim over (or the
                // key, if the claim just expired) makes sure that run can no longer store its result.
                boolean claimed = existing.isPresent()
                        ? store.replace(recordKey, existing.get(), claim, claimLife)
                        : store.putIfAbsent(recordKey, claim, claimLife);
                if (!claimed) {
                    // That run completed or someone claimed in between: answer as a duplicate would be.
                    Optional<Records.Parsed> now = read(key, recordKey);
                    if (now.isPresent() && now.get().status() != Records.CLAIMED) {
                        return replay(key, now.get(), fingerprintHash, codec);
                    }
                    throw new RequestInProgressException(key);
                }
            }
            return run(key, recordKey, claim, fingerprintHash, ttl, codec, operation, handle);
        }
    }

    private Optional<Records.Parsed> read(String key, String recordKey) {
        return store.get(recordKey).map(bytes -> Records.parse(key, bytes));
    }

    /** Runs the operation under our claim and completes the claim with the result, or gives the claim up. */
    private <T> T run(String key, String recordKey, byte[] claim, byte[] fingerprintHash, Duration ttl,
                      ResultCodec<T> codec, IdempotentOperation<T> operation, LockHandle handle) {
        T result;
        try {
            result = operation.run(handle);
        } catch (Exception e) {
            try {
                if (recordFailures) {
                    byte[] text = String.valueOf(e).getBytes(StandardCharsets.UTF_8);
                    store.replace(recordKey, claim, Records.encode(Records.FAILED, fingerprintHash,
                            handle.fencingToken(), Arrays.copyOf(text, Math.min(text.length,
                                    Math.min(maxResultBytes, 4096)))), ttl);
                } else {
                    store.remove(recordKey, claim);
                }
            } catch (RuntimeException storeFailure) {
                // The operation's own failure is what the caller must see; a claim left behind only makes the next
                // request take it over.
                e.addSuppressed(storeFailure);
            }
            if (e instanceof RuntimeException) {
                throw (RuntimeException) e;
            }
            throw new OperationFailedException(key, "the operation for idempotency key '" + key + "' failed: " + e,
                    e);
        }
        byte[] payload;
        try {
            payload = codec.encode(result);
        } catch (Exception e) {
            giveUp(recordKey, claim, e);
            throw new IdempotencyException(key, "could not encode the result for idempotency key '" + key + "'", e);
        }
        if (payload.length > maxResultBytes) {
            ResultTooLargeException tooLarge = new ResultTooLargeException(key, payload.length, maxResultBytes);
            giveUp(recordKey, claim, tooLarge);
            throw tooLarge;
        }
        byte[] completed = Records.encode(Records.COMPLETED, fingerprintHash, handle.fencingToken(), payload);
        boolean stored;
        try {
            // Conditional on our claim: a later run that took the key over after our lock was lost has replaced it,
            // and its result, not ours, is the key's answer. A run whose lock was lost but whose claim is intact
            // stores normally: no other run can have started, since every run claims before it runs.
            stored = store.replace(recordKey, claim, completed, ttl);
            if (!stored && store.get(recordKey).isEmpty()) {
                // Our claim expired under a very long run, and no later run claimed the key (it claims before it
                // runs): nobody else ran, so our result is the key's answer.
                stored = store.putIfAbsent(recordKey, completed, ttl);
            }
        } catch (RuntimeException e) {
            throw new ResultNotStoredException(key, result, e);
        }
        if (!stored) {
            log.warn("idempotency key '{}' (token {}) was taken over by a later run while this one ran; its result "
                    + "was not stored", key, handle.fencingToken());
            throw new LockLostDuringOperationException(key, handle.fencingToken(), result);
        }
        return result;
    }

    private void giveUp(String recordKey, byte[] claim, Exception reason) {
        try {
            store.remove(recordKey, claim);
        } catch (RuntimeException storeFailure) {
            reason.addSuppressed(storeFailure);
        }
    }

    private <T> T replay(String key, Records.Parsed record, byte[] fingerprintHash, ResultCodec<T> codec) {
        if (!Arrays.equals(record.fingerprint(), fingerprintHash)) {
            throw new KeyReusedException(key);
        }
        if (record.status() == Records.FAILED) {
            throw new OperationFailedException(key, "the request with idempotency key '" + key + "' failed before: "
                    + new String(record.payload(), StandardCharsets.UTF_8), null);
        }
        try {
            return codec.decode(record.payload());
        } catch (Exception e) {
            throw new IdempotencyException(key, "could not decode the stored result of idempotency key '" + key
                    + "'", e);
        }
    }

    /** Builds {@link IdempotencyKeys}; validates when built. */
    public static final class Builder {
        private LockManager locks;
        private RecordStore store;
        private boolean recordFailures;
        private int maxResultBytes = 512 * 1024;
        private Duration claimTtl = Duration.ofHours(1);
        private IdempotencyListener listener;

        private Builder() {
        }

        /**
         * Told the outcome and duration of every {@link IdempotencyKeys#execute} call, e.g. for metrics. Default none.
         *
         * @param listener the listener
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder listener(IdempotencyListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener must not be null");
            return this;
        }

        /**
         * The lock manager that makes runs exclusive; required. The caller keeps closing it.
         *
         * @param locks the lock manager
         * @return this builder
         * @throws NullPointerException if {@code locks} is null
         */
        public Builder locks(LockManager locks) {
            this.locks = Objects.requireNonNull(locks, "locks must not be null");
            return this;
        }

        /**
         * Where records live; required, typically of the same backend as the locks. The caller closes it.
         *
         * @param store the record store
         * @return this builder
         */
        public Builder store(RecordStore store) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            return this;
        }

        /**
         * Whether a failed operation is recorded and replayed as a failure (default false: a retry runs again).
         *
         * @param recordFailures whether failures are recorded
         * @return this builder
         */
        public Builder recordFailures(boolean recordFailures) {
            this.recordFailures = recordFailures;
            return this;
        }

        /**
         * The largest encoded result stored (default 512 KiB, and never more than the store accepts).
         *
         * @param maxResultBytes the limit in bytes, positive
         * @return this builder
         */
        public Builder maxResultBytes(int maxResultBytes) {
            if (maxResultBytes <= 0) {
                throw new IllegalArgumentException("maxResultBytes must be positive, got " + maxResultBytes);
            }
            this.maxResultBytes = maxResultBytes;
            return this;
        }

        /**
         * How long a run's claim on a key lives (default one hour; the replay ttl if that is longer): a duplicate
         * gets {@link RequestInProgressException} for as long as a run may take, and a claim left by a run that died
         * is garbage in the store for this long at most (the next request takes it over at once).
         *
         * @param claimTtl a positive duration
         * @return this builder
         * @throws NullPointerException if {@code claimTtl} is null
         * @throws IllegalArgumentException if it is not positive
         */
        public Builder claimTtl(Duration claimTtl) {
            Records.checkTtl(claimTtl);
            this.claimTtl = claimTtl;
            return this;
        }

        /**
         * Builds the idempotency keys.
         *
         * @return the idempotency keys on the given lock manager and store
         * @throws NullPointerException if the lock manager or the store is not set
         */
        public IdempotencyKeys build() {
            Objects.requireNonNull(locks, "locks must be set");
            Objects.requireNonNull(store, "store must be set");
            return new IdempotencyKeys(this);
        }
    }
}
