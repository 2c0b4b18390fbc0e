package io.distlock.spring;

import io.distlock.LockManager;

/**
 * Wraps the auto-configured {@link LockManager} before it becomes the application's bean, e.g. to record metrics or
 * traces around each call. Every bean of this type is applied, in {@link org.springframework.core.Ordered} order
 * (the first one wraps innermost); a {@code LockManager} bean of the application's own is not decorated.
 *
 * <p>The returned manager must delegate {@link LockManager#close()}: the bean is closed on shutdown through it.
 * Implementations must be thread safe like the manager they wrap.
 */
@FunctionalInterface
public interface LockManagerDecorator {

    /**
     * @param manager the manager so far
     * @return the manager to use instead, or {@code manager} itself
     */
    LockManager decorate(LockManager manager);
}
