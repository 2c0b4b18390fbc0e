package io.distlock.spring;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;

import java.util.Optional;

/**
 * One way to reach a backend, as a bean of the auto-configuration; {@link BackendSelector} asks the candidates in
 * {@link #order()} and takes the first that finds its client. Each backend's candidate exists only when the backend
 * module and its client library are on the class path.
 *
 * <p>Orders in use: 100 Redisson, 200 Curator, 300 Hazelcast, 400 the {@code DataSource} (JDBC backend): after the
 * dedicated lock servers, because most applications have a {@code DataSource} for other reasons and a Redis or
 * ZooKeeper client is the more deliberate choice.
 */
interface BackendCandidate {

    /** Smaller first. */
    int order();

    /** What the application would define to choose this candidate, for the start-up failure message. */
    String choice();

    /**
     * The backend on the application's client, or empty when the application has no such client bean.
     *
     * @throws IllegalStateException if the application has several such clients and none is primary
     */
    Optional<Backend> find();

    /** A reachable backend: makes the lock manager and the record store on the same client. */
    interface Backend {

        /** For logs and the health indicator, e.g. {@code RedissonClient bean 'redisson'}. */
        String description();

        /** A new manager with these settings; it closes only what it created, never the application's client. */
        LockManager locks(LockSettings settings);

        /**
         * A new record store on the same backend.
         *
         * @throws IllegalStateException if this backend cannot make one, naming what to do instead
         */
        RecordStore records(LockSettings settings);
    }
}
