/**
 * The backend SPI: what a backend module implements ({@link io.distlock.spi.LockBackend},
 * {@link io.distlock.spi.LockManagerProvider}) and the shared machinery it builds its manager from
 * ({@link io.distlock.spi.LockManagerCore}: key validation, the local table of held keys, the renewal watchdog,
 * deadlines and waiting). Service code never needs this package.
 */
package io.distlock.spi;
