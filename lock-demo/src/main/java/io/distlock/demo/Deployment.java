package io.distlock.demo;

import io.distlock.LockManager;

/**
 * Where the replicas' lock managers come from: one manager per replica, as in production where each replica is its
 * own process with its own manager. Closing it closes the managers and whatever it started (embedded members).
 */
interface Deployment extends AutoCloseable {

    /** One line for the report, without secrets. */
    String description();

    /** The manager of replica {@code replica}, 0-based; the same instance on every call. */
    LockManager manager(int replica);

    /** Closes every manager, then what this deployment started; never throws. */
    @Override
    void close();
}
