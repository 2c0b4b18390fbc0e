package io.distlock.local;

import io.distlock.Ticker;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link LockBackend} over a shared {@link LocalLockTable}. Its calls never block and never fail, except during an
 * outage simulated by {@link LocalFaults}.
 */
final class LocalLockBackend implements LockBackend {

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

    private void check(String what, String key) {
        if (faults != null) {
            faults.check(what, key, timeoutNanos, what.equals("acquiring") || what.equals("subscribing to"));
        }
    }

    @Override
    public String name() {
        return "local:" + table.name();
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        check("acquiring", key);
        return table.tryAcquire(key, owner, lease.toNanos(), ticker.nanoTime());
    }

    @Override
    public boolean release(String key, String owner) {
        check("releasing", key);
        return table.release(key, owner, ticker.nanoTime());
    }

    @Override
    public boolean renew(String key, String owner, Duration lease) {
        check("renewing", key);
        return table.renew(key, owner, lease.toNanos(), ticker.nanoTime());
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        check("subscribing to", key);
        Runnable unsubscribe = table.subscribe(key, onRelease);
        return unsubscribe::run;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            table.closeReference();
        }
    }
}
