package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.distlock.idempotency.spi.RecordStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link RecordStore} on one {@code IMap<String, byte[]>}: each operation is one {@link RecordEntryProcessor} call
 * to the key's partition owner, atomic there, bounded by the operation timeout ({@link EntryCalls}). The processor
 * judges expiry itself, with millisecond precision (Hazelcast's own expiry is whole seconds), writes a value with its
 * ttl in one step, and compares bytes. Thread safe.
 */
final class HazelcastRecords implements RecordStore {

    private static final Logger log = LoggerFactory.getLogger(HazelcastRecords.class);

    private final HazelcastInstance instance;
    private final boolean ownsInstance;
    private final String description;
    private final int maxValueBytes;
    private final EntryCalls calls;
    private final AtomicBoolean closed = new AtomicBoolean();

    HazelcastRecords(HazelcastInstance instance, boolean ownsInstance, String description, String mapName,
                     int maxValueBytes, Duration timeout) {
        this.instance = instance;
        this.ownsInstance = ownsInstance;
        this.description = description;
        this.maxValueBytes = maxValueBytes;
        IMap<String, byte[]> map = instance.getMap(mapName);
        this.calls = EntryCalls.of(map, timeout);
    }

    @Override
    public String name() {
        return description;
    }

    @Override
    public int maxValueBytes() {
        return maxValueBytes;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
        checkOpen();
        checkKey(key);
        byte[] copy = checkValue(key, value).clone();
        long ttlMillis = ttlMillis(ttl);
        return (Boolean) calls.executeForResult("storing record", key,
                RecordEntryProcessor.putIfAbsent(copy, ttlMillis), false);
    }

    @Override
    public Optional<byte[]> get(String key) {
        checkOpen();
        checkKey(key);
        return Optional.ofNullable((byte[]) calls.execute("reading record", key, RecordEntryProcessor.get(), false));
    }

    @Override
    public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
        checkOpen();
        checkKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        byte[] copy = checkValue(key, value).clone();
        long ttlMillis = ttlMillis(ttl);
        return (Boolean) calls.executeForResult("replacing record", key,
                RecordEntryProcessor.replace(expected.clone(), copy, ttlMillis), false);
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        checkOpen();
        checkKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        return (Boolean) calls.executeForResult("removing record", key,
                RecordEntryProcessor.remove(expected.clone()), false);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsInstance) {
            try {
                instance.shutdown();
            } catch (RuntimeException e) {
                log.warn("shutting down the hazelcast client of the record store failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "RecordStore[" + description + (closed.get() ? ", closed]" : "]");
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the record store " + description + " is closed");
        }
    }

    private static void checkKey(String key) {
        Objects.requireNonNull(key, "record key must not be null");
        if (key.isBlank()) {
            throw new IllegalArgumentException("record key must not be blank");
        }
    }

    private byte[] checkValue(String key, byte[] value) {
        Objects.requireNonNull(value, "value must not be null");
        if (value.length > maxValueBytes) {
            throw new IllegalArgumentException("the value for record '" + key + "' is " + value.length
                    + " bytes; this store accepts at most " + maxValueBytes);
        }
        return value;
    }

    /**
     * The ttl in whole milliseconds, rounded up: Hazelcast reads a ttl of 0 as "forever", so a positive ttl must
     * never become 0.
     */
    private static long ttlMillis(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        try {
            long millis = ttl.toMillis();
            return ttl.minusMillis(millis).isZero() ? millis : millis + 1;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
