package io.distlock;

/**
 * A source of monotonic nanoseconds, the time base of leases and deadlines. Injected through
 * {@link LockSettings#withTicker(Ticker)} so lease logic can be tested without sleeping. Implementations must be
 * thread safe and never go backwards.
 */
@FunctionalInterface
public interface Ticker {

    /**
     * Nanoseconds from an arbitrary origin, like {@link System#nanoTime()}.
     *
     * @return the current time in nanoseconds; only differences between two readings are meaningful
     */
    long nanoTime();

    /** {@return the system's monotonic clock} */
    static Ticker system() {
        return System::nanoTime;
    }
}
