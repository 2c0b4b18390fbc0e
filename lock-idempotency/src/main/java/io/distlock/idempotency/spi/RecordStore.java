package io.distlock.idempotency.spi;

import io.distlock.LockBackendException;

import java.time.Duration;
import java.util.Optional;

/**
 * A key-value store with per-entry expiry and atomic conditional writes, as every distlock backend can offer one
 * (Redis {@code SET NX PX} and scripts, ZooKeeper znodes with versions, Hazelcast {@code IMap}, an in-process map).
 *
 * <p>Keys are non-blank strings of at most 1400 UTF-8 bytes, any characters; implementations encode them as their
 * store needs, without collisions. Values are at most {@link #maxValueBytes()} bytes. Comparisons of values are
 * byte-for-byte. An expired entry behaves exactly as an absent one. Expiry is decided by the store's clock (so that
 * replicas with skewed clocks agree) and may come late, never early.
 *
 * <p><b>Failures:</b> every method returns or throws {@link LockBackendException} within the store's operation
 * timeout; an outage is never reported as "absent" or "not replaced". A write that timed out has an unknown outcome:
 * the store may still apply it. Implementations are thread safe.
 *
 * <p><b>Misuse</b>, for every method: a null argument throws {@link NullPointerException}; a non-positive ttl or a
 * value longer than {@link #maxValueBytes()} throws {@link IllegalArgumentException} before any call to the store;
 * a call after {@link #close()} throws {@link IllegalStateException}.
 */
public interface RecordStore extends AutoCloseable {

    /** {@return a short name for messages, e.g. {@code redis}} */
    String name();

    /**
     * The largest value this store accepts.
     *
     * @return the largest value in bytes
     */
    int maxValueBytes();

    /**
     * Stores {@code value} under {@code key} for {@code ttl} if no live entry exists, atomically.
     *
     * @param key the record's key
     * @param value the value to store
     * @param ttl how long the entry lives, positive
     * @return true if stored, false if a live entry already existed (it is left unchanged)
     */
    boolean putIfAbsent(String key, byte[] value, Duration ttl);

    /**
     * The live value of {@code key}, if any.
     *
     * @param key the record's key
     * @return the value, or empty if absent or expired
     */
    Optional<byte[]> get(String key);

    /**
     * Replaces the live value of {@code key} with {@code value} and a new {@code ttl} if it currently equals
     * {@code expected}, atomically.
     *
     * @param key the record's key
     * @param expected the value it must have now
     * @param value the new value
     * @param ttl the new time to live, positive
     * @return true if replaced
     */
    boolean replace(String key, byte[] expected, byte[] value, Duration ttl);

    /**
     * Removes the live entry of {@code key} if its value equals {@code expected}, atomically.
     *
     * @param key the record's key
     * @param expected the value it must have now
     * @return true if removed
     */
    boolean remove(String key, byte[] expected);

    /** Closes what the store owns; not a client the caller passed in. Idempotent. */
    @Override
    void close();
}
