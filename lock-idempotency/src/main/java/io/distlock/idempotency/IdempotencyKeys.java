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

/**
 * Runs an operation at most once per idempotency key and replays its result to duplicates, across replicas:
 * <pre>{@code
 * Receipt receipt = idempotency.execute(request.idempotencyKey(), request.bodyHash(), Duration.ofHours(24),
 *         ResultCodec.serializable(Receipt.class), lock -> payments.capture(request, lock.fencingToken()));
 * }</pre>
 * <ul>
 *   <li>The first request with a key takes a distlock lock on it, runs the operation and stores the encoded result
 *       with the request's fingerprint for {@code ttl}.</li>
 *   <li>A duplicate while it runs fails fast with {@link RequestInProgressException} (one lock attempt).</li>
 *   <li>A later duplicate gets the stored result without running the operation (one store read, no lock).</li>
 *   <li>The same key with another fingerprint fails with {@link KeyReusedException}.</li>
 *   <li>An operation that throws leaves no record, so a retry runs it again — unless failures are recorded
 *       ({@link Builder#recordFailures(boolean)}), in which case duplicates get {@link OperationFailedException}.</li>
 *   <li>If the lock is lost while the operation runs, the result is stored only if no other run stored one first,
 *       and the caller gets {@link LockLostDuringOperationException} either way: exclusion was not guaranteed, and
 *       only fencing at the resource can have kept the two runs apart.</li>
 * </ul>
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

    private IdempotencyKeys(Builder builder) {
        this.locks = builder.locks;
        this.store = builder.store;
        this.recordFailures = builder.recordFailures;
        this.maxResultBytes = Math.min(builder.maxResultBytes, store.maxValueBytes() - Records.HEADER);
    }

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
        byte[] fingerprintHash = Records.hash(fingerprint);
        String recordKey = RECORD_PREFIX + key;

        // A late duplicate, the common case of a retry, is answered from the store without taking the lock.
        Optional<byte[]> stored = store.get(recordKey);
        if (stored.isPresent()) {
            return replay(key, stored.get(), fingerprintHash, codec);
        }
        Optional<LockHandle> lock = locks.tryLock(LOCK_PREFIX + key);
        if (lock.isEmpty()) {
            // The holder may have stored its result between our read and our attempt.
            stored = store.get(recordKey);
            if (stored.isPresent()) {
                return replay(key, stored.get(), fingerprintHash, codec);
            }
            throw new RequestInProgressException(key);
        }
        try (LockHandle handle = lock.get()) {
            // Another replica may have finished between our first read and our lock.
            stored = store.get(recordKey);
            if (stored.isPresent()) {
                return replay(key, stored.get(), fingerprintHash, codec);
            }
            return run(key, recordKey, fingerprintHash, ttl, codec, operation, handle);
        }
    }

    private <T> T run(String key, String recordKey, byte[] fingerprintHash, Duration ttl, ResultCodec<T> codec,
                      IdempotentOperation<T> operation, LockHandle handle) {
        T result;
        try {
            result = operation.run(handle);
        } catch (Exception e) {
            if (recordFailures && handle.isHeld()) {
                byte[] text = String.valueOf(e).getBytes(StandardCharsets.UTF_8);
                byte[] failure = Records.encode(Records.FAILED, fingerprintHash, handle.fencingToken(),
                        Arrays.copyOf(text, Math.min(text.length, Math.min(maxResultBytes, 4096))));
                try {
                    store.putIfAbsent(recordKey, failure, ttl);
                } catch (RuntimeException storeFailure) {
                    // The operation's own failure is what the caller must see; the unrecorded failure only means a
                    // retry runs the operation again.
                    e.addSuppressed(storeFailure);
                }
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
            throw new IdempotencyException(key, "could not encode the result for idempotency key '" + key + "'", e);
        }
        if (payload.length > maxResultBytes) {
            throw new ResultTooLargeException(key, payload.length, maxResultBytes);
        }
        boolean held = handle.isHeld();
        byte[] record = Records.encode(Records.COMPLETED, fingerprintHash, handle.fencingToken(), payload);
        // putIfAbsent, not put: if the lock was lost and another run stored first, its answer stays the key's answer.
        boolean first;
        try {
            first = store.putIfAbsent(recordKey, record, ttl);
        } catch (RuntimeException e) {
            throw new ResultNotStoredException(key, result, e);
        }
        if (!held || !first) {
            log.warn("lock of idempotency key '{}' (token {}) was lost while the operation ran; stored: {}", key,
                    handle.fencingToken(), first);
            throw new LockLostDuringOperationException(key, handle.fencingToken(), result);
        }
        return result;
    }

    private <T> T replay(String key, byte[] stored, byte[] fingerprintHash, ResultCodec<T> codec) {
        Records.Parsed record = Records.parse(key, stored);
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

        private Builder() {
        }

        /** The lock manager that makes runs exclusive; required. The caller keeps closing it. */
        public Builder locks(LockManager locks) {
            this.locks = Objects.requireNonNull(locks, "locks must not be null");
            return this;
        }

        /** Where records live; required, typically of the same backend as the locks. The caller closes it. */
        public Builder store(RecordStore store) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            return this;
        }

        /** Whether a failed operation is recorded and replayed as a failure (default false: a retry runs again). */
        public Builder recordFailures(boolean recordFailures) {
            this.recordFailures = recordFailures;
            return this;
        }

        /** The largest encoded result stored (default 512 KiB, and never more than the store accepts). */
        public Builder maxResultBytes(int maxResultBytes) {
            if (maxResultBytes <= 0) {
                throw new IllegalArgumentException("maxResultBytes must be positive, got " + maxResultBytes);
            }
            this.maxResultBytes = maxResultBytes;
            return this;
        }

        public IdempotencyKeys build() {
            Objects.requireNonNull(locks, "locks must be set");
            Objects.requireNonNull(store, "store must be set");
            return new IdempotencyKeys(this);
        }
    }
}
