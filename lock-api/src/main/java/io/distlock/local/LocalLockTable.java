package io.distlock.local;

import io.distlock.spi.AcquireResult;
import io.distlock.spi.KeyedListeners;
import io.distlock.spi.StoredLock;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One named lock table shared by the local managers of that name. Each key's entry changes only inside
 * {@link ConcurrentHashMap#compute}, which makes acquire, release and renew atomic per key without a lock of ours.
 */
final class LocalLockTable {

    private static final ConcurrentHashMap<String, LocalLockTable> TABLES = new ConcurrentHashMap<>();
    /** JVM-wide, so tokens keep increasing per key even after a table was dropped and opened again. */
    private static final AtomicLong TOKENS = new AtomicLong();

    private final String name;
    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    private final KeyedListeners listeners = new KeyedListeners();
    private int references;

    private record Entry(String owner, long token, long expiresAt) {
    }

    private LocalLockTable(String name) {
        this.name = name;
    }

    static LocalLockTable open(String name) {
        return TABLES.compute(name, (n, table) -> {
            LocalLockTable t = table == null ? new LocalLockTable(n) : table;
            t.references++;
            return t;
        });
    }

    void closeReference() {
        TABLES.computeIfPresent(name, (n, table) -> --table.references == 0 ? null : table);
    }

    String name() {
        return name;
    }

    AcquireResult tryAcquire(String key, String owner, long leaseNanos, long now) {
        Entry entry = entries.compute(key, (k, current) -> current == null || now - current.expiresAt >= 0
                ? new Entry(owner, TOKENS.incrementAndGet(), now + leaseNanos)
                : current);
        if (entry.owner.equals(owner)) {
            return AcquireResult.acquired(entry.token);
        }
        return AcquireResult.heldFor(java.time.Duration.ofNanos(entry.expiresAt - now));
    }

    boolean release(String key, String owner, long now) {
        boolean[] released = new boolean[1];
        entries.computeIfPresent(key, (k, current) -> {
            if (!current.owner.equals(owner)) {
                return current;
            }
            released[0] = now - current.expiresAt < 0;
            return null;
        });
        notifyReleased(key);
        return released[0];
    }

    boolean renew(String key, String owner, long leaseNanos, long now) {
        boolean[] renewed = new boolean[1];
        entries.computeIfPresent(key, (k, current) -> {
            if (!current.owner.equals(owner) || now - current.expiresAt >= 0) {
                return current;
            }
            renewed[0] = true;
            return new Entry(owner, current.token, now + leaseNanos);
        });
        return renewed[0];
    }

    /** Forgets every lock, as a store that restarted without persistence would; waiters are woken. */
    void clear() {
        entries.clear();
        listeners.signalAll();
    }

    /** Forgets the lock of {@code key}, as an operator's delete would; its waiters are woken. */
    boolean delete(String key) {
        boolean deleted = entries.remove(key) != null;
        notifyReleased(key);
        return deleted;
    }

    /** The lock on {@code key} if it is held at {@code now}, else null. */
    StoredLock read(String key, long now) {
        Entry entry = entries.get(key);
        return entry == null || now - entry.expiresAt >= 0 ? null
                : new StoredLock(key, entry.owner, entry.token, entry.expiresAt - now);
    }

    /**
     * One page of the locks held at {@code now} under {@code prefix}, in key order, after the key {@code after}
     * (exclusive; null for the first page). Sorting a snapshot each page keeps no state between pages: a lock held
     * throughout the listing is returned exactly once.
     */
    List<StoredLock> list(String prefix, String after, int limit, long now) {
        List<StoredLock> page = new ArrayList<>();
        entries.forEach((key, entry) -> {
            if (key.startsWith(prefix) && (after == null || key.compareTo(after) > 0) && now - entry.expiresAt < 0) {
                page.add(new StoredLock(key, entry.owner, entry.token, entry.expiresAt - now));
            }
        });
        page.sort(Comparator.comparing(StoredLock::key));
        return page.size() <= limit ? page : new ArrayList<>(page.subList(0, limit));
    }

    io.distlock.spi.LockBackend.Subscription subscribe(String key, Runnable onRelease) {
        return listeners.add(key, onRelease);
    }

    private void notifyReleased(String key) {
        listeners.signal(key);
    }
}
