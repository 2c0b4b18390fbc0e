/**
 * The distlock API: fine-grained locks that let exactly one replica of a service run an operation for a key.
 *
 * <p>Start from {@link io.distlock.LockManager}: obtain one from {@link io.distlock.LockManagers#create(java.net.URI)}
 * or from a backend module's builder, then take locks with {@link io.distlock.LockManager#tryLock(String)}. The
 * guarantees are numbered clauses of {@code docs/CONTRACT.md}; the Javadoc here cites them as "clause N".
 */
package io.distlock;
