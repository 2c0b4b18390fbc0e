/**
 * The operators' command line, {@code ./distlock}: who holds a key, which keys are held, and an audited
 * force-release, through {@link io.distlock.LockManager#inspector()} on any backend's lock URI.
 */
package io.distlock.cli;
