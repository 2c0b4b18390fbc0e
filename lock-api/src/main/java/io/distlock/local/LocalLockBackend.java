package io.distlock.local;

import io.distlock.Ticker;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The {@link LockBackend} over a shared {@link LocalLockTable}. Its calls never block and never fail, except during an
 * outage simulated by {@link LocalFaults}; a batch of renewals is one "request" then, as it would be on a server.
 * Inspection lists in key order; a cursor is the last key of the page before, so pages need no server-side state.
 */
final class LocalLockBackend implements LockBackend, LockInspection {

    /** Marks this backend's cursors, so one from another backend fails clearly. */
    private static final String CURSOR = "local:";

    private final LocalLockTable table;
    private final Ticker ticker;
    private final LocalFaults faults;
    private final long timeoutNanos;
    private final AtomicBoolean closed = new AtomicBoolean();

    LocalLockBackend(LocalLockTable table, Ticker ticker, LocalFaults faults, Duration timeout) {
        this.table = table;
        this.ticker = ticker;
        this.faults = faults;
        this.timeoutNanos = timeout.toNanos();
        if (faults != null) {
            faults.attach(table);
        }
    }

    private <T> T call(String what, String key, long deadlineNanos, boolean interruptible, boolean write,
                       Supplier<T> call) {
        return faults == null ? call.get() : faults.call(what, key, deadlineNanos, interruptible, write, call);
    }

    private long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    @Override
    public String name() {
        return "local:" + table.name();
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        return tryAcquire(key, owner, lease, deadline());
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
        // The table's time is read when the call is applied: a call applied after an outage ends gets a full lease.
        return call("acquiring", key, deadlineNanos, true, true,
                () -> table.tryAcquire(key, owner, lease.toNanos(), ticker.nanoTime()));
    }

    @Override
    public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                          long deadlineNanos) {
        if (faults != null) {
            // A simulated outage blocks like a network call would: keep it off the caller's thread.
            return LockBackend.super.tryAcquireAsync(key, owner, lease, deadlineNanos);
        }
        return CompletableFuture.completedFuture(table.tryAcquire(key, owner, lease.toNanos(), ticker.nanoTime()));
    }

    @Override
    public boolean release(String key, String owner) {
        return call("releasing", key, deadline(), false, true, () -> table.release(key, owner, ticker.nanoTime()));
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        return call("renewing", key, deadline(), false, true,
                () -> table.renew(key, owner, lease.toNanos(), ticker.nanoTime()));
    }

    @Override
    public List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        String first = renewals.isEmpty() ? "" : renewals.get(0).key();
        return call("renewing " + renewals.size() + " locks from", first, deadlineNanos, false, true, () -> {
            long now = ticker.nanoTime();
            List<RenewalResult> results = new ArrayList<>(renewals.size());
            for (Renewal renewal : renewals) {
                results.add(table.renew(renewal.key(), renewal.owner(), lease.toNanos(), now)
                        ? RenewalResult.renewed() : RenewalResult.notOwner());
            }
            return results;
        });
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        return subscribe(key, onRelease, deadline());
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease, long deadlineNanos) {
        return call("subscribing to", key, deadlineNanos, true, false, () -> table.subscribe(key, onRelease));
    }

    @Override
    public CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        if (faults != null) {
            return LockBackend.super.subscribeAsync(key, onRelease, deadlineNanos);
        }
        return CompletableFuture.completedFuture(table.subscribe(key, onRelease));
    }

    @Override
    public StoredLock read(String key, long deadlineNanos) {
        return call("reading", key, deadlineNanos, true, false, () -> table.read(key, ticker.nanoTime()));
    }

    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        String after = cursor == null ? null : afterKey(cursor);
        return call("listing", keyPrefix + "*", deadlineNanos, true, false, () -> {
            List<StoredLock> locks = table.list(keyPrefix, after, limit, ticker.nanoTime());
            // A full page may be followed by more; a short one is the last.
            String next = locks.size() < limit ? null : CURSOR + Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(locks.get(locks.size() - 1).key().getBytes(StandardCharsets.UTF_8));
            return new Page(locks, next);
        });
    }

    private static String afterKey(String cursor) {
        if (cursor.startsWith(CURSOR)) {
            try {
                return new String(Base64.getUrlDecoder().decode(cursor.substring(CURSOR.length())),
                        StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                // Reported below, with the cursor.
            }
        }
        throw new IllegalArgumentException("'" + cursor + "' is not a cursor of the local backend's listing");
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            table.closeReference();
        }
    }
}
