package io.distlock.spring;

import io.distlock.LockHandle;

import java.util.Optional;

/**
 * The handle of the innermost {@link DistributedLock} method running on this thread, for code that cannot declare a
 * {@code LockHandle} parameter. Only while that method runs, on the thread it runs on; for work the method hands to
 * other threads, pass the handle (or its fencing token) along.
 */
public final class CurrentLock {

    private static final ThreadLocal<LockHandle> CURRENT = new ThreadLocal<>();

    private CurrentLock() {
    }

    /**
     * @return the handle of the innermost {@code @DistributedLock} method running on this thread, or empty outside
     *     such a method
     */
    public static Optional<LockHandle> handle() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Sets the current handle and returns the previous one, to restore with {@link #restore}. */
    static LockHandle enter(LockHandle handle) {
        LockHandle previous = CURRENT.get();
        CURRENT.set(handle);
        return previous;
    }

    static void restore(LockHandle previous) {
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
    }
}
