package io.distlock.idempotency;

import io.distlock.Ticker;
import io.distlock.idempotency.spi.RecordStore;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process record store, the companion of {@code local://} locks: stores with the same name share their
 * records in this JVM, like replicas sharing a store. For tests of service code and single-process deployments.
 * Each operation is atomic per key ({@link ConcurrentHashMap#compute}); expired entries are dropped when touched and
 * by a sweep every few thousand writes. Never has an outage. Thread safe.
 */
public final class LocalRecordStore implements RecordStore {

    private static final ConcurrentHashMap<String, ConcurrentHashMap<String, Entry>> TABLES =
            new ConcurrentHashMap<>();
    private static final int SWEEP_EVERY = 4096;
    private static final int MAX_VALUE_BYTES = 16 * 1024 * 1024;

    private final String name;
    private final ConcurrentHashMap<String, Entry> entries;
    private final Ticker ticker;
    private final AtomicInteger writes = new AtomicInteger();
    private volatile boolean closed;

    private record Entry(byte[] value, long expiresAt) {
    }

    private LocalRecordStore(String name, Ticker ticker) {
        this.name = name;
        this.entries = TABLES.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
        this.ticker = ticker;
    }

    /**
     * The store called {@code name}, on the system ticker. Stores of one name share their records.
     *
     * @param name the store's name
     * @return the store of that name
     */
    public static LocalRecordStore named(String name) {
        return named(name, Ticker.system());
    }

    /**
     * The store called {@code name}, with expiry measured on {@code ticker}.
     *
     * @param name the store's name
     * @param ticker the time base of expiry
     * @return the store of that name
     */
    public static LocalRecordStore named(String name, Ticker ticker) {
        Records.checkKey("store name", name, 256);
        return new LocalRecordStore(name, Objects.requireNonNull(ticker, "ticker must not be null"));
    }

    @Override
    public String name() {
        return "local:" + name;
    }

    @Override
    public int maxValueBytes() {
        return MAX_VALUE_BYTES;
    }

    /** The SPI's misuse rules, checked before the table is touched. */
    private void check(String key, byte[] value, Duration ttl) {
        Objects.requireNonNull(key, "key must not be null");
        if (closed) {
            throw new IllegalStateException("record store '" + name + "' is closed");
        }
        if (value != null && value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("value for '" + key + "' is " + value.length + " bytes; the limit is "
                    + MAX_VALUE_BYTES);
        }
        if (ttl != null) {
            Records.checkTtl(ttl);
        }
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
        Objects.requireNonNull(value, "value must not be null");
        Objects.requireNonNull(ttl, "ttl must not be null");
        check(key, value, ttl);
        long now = ticker.nanoTime();
        Entry fresh = new Entry(value.clone(), now + ttl.toNanos());
        boolean[] stored = new boolean[1];
        entries.compute(key, (k, current) -> {
            if (current != null && now - current.expiresAt < 0) {
                return current;
            }
            stored[0] = true;
            return fresh;
        });
        sweepSometimes(now);
        return stored[0];
    }

    @Override
    public Optional<byte[]> get(String key) {
        check(key, null, null);
        long now = ticker.nanoTime();
        Entry entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (now - entry.expiresAt >= 0) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry.value.clone());
    }

    @Override
    public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
        Objects.requireNonNull(expected, "expected must not be null");
        Objects.requireNonNull(value, "value must not be null");
        Objects.requireNonNull(ttl, "ttl must not be null");
        check(key, value, ttl);
        long now = ticker.nanoTime();
        boolean[] replaced = new boolean[1];
        entries.computeIfPresent(key, (k, current) -> {
            if (now - current.expiresAt >= 0) {
                return null;
            }
            if (!Arrays.equals(current.value, expected)) {
                return current;
            }
            replaced[0] = true;
            return new Entry(value.clone(), now + ttl.toNanos());
        });
        return replaced[0];
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        Objects.requireNonNull(expected, "expected must not be null");
        check(key, null, null);
        long now = ticker.nanoTime();
        boolean[] removed = new boolean[1];
        entries.computeIfPresent(key, (k, current) -> {
            if (now - current.expiresAt >= 0) {
                return null;
            }
            if (!Arrays.equals(current.value, expected)) {
                return current;
            }
            removed[0] = true;
            return null;
        });
        return removed[0];
    }

    @Override
    public void close() {
        // Nothing else is owned: the table lives as long as the JVM, like a server outlives its clients.
        closed = true;
    }

    private void sweepSometimes(long now) {
        if (writes.incrementAndGet() % SWEEP_EVERY == 0) {
            entries.values().removeIf(entry -> now - entry.expiresAt >= 0);
        }
    }
}
