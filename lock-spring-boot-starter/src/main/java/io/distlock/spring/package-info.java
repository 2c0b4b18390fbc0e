/**
 * Spring Boot auto-configuration for distlock: the {@link io.distlock.LockManager} bean and its backend choice
 * ({@link io.distlock.spring.DistlockAutoConfiguration}), {@link io.distlock.spring.DistributedLock} on bean methods,
 * the {@code distlock} health indicator and the {@link io.distlock.spring.LockManagerDecorator} extension point.
 */
package io.distlock.spring;
