package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import io.distlock.idempotency.spi.RecordStore;

import java.time.Duration;
import java.util.Objects;

/**
 * Entry point of the ZooKeeper record store for {@code lock-idempotency} (idempotency keys and one-time tokens): one PERSISTENT znode
 * per record, {@code /<namespace>/records/<bucket>/<encoded key>}, next to the {@code locks} of a
 * {@link ZooKeeperLockManager} with the same namespace. Every conditional write is atomic on the ensemble through the
 * node's version.
 * <pre>{@code
 * RecordStore store = ZooKeeperRecordStore.builder().client(curator).namespace("orders").build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 *
 * <p><b>Expiry on the ensemble's clock.</b> ZooKeeper has no TTL for ordinary nodes (TTL nodes need
 * {@code zookeeper.extendedTypesEnabled} on every server, and cannot change their TTL on a replace), so a record
 * carries its ttl and expires at its node's {@code mtime} plus the ttl. {@code mtime} is stamped by the leader when it
 * orders the write, so no client's wall clock enters: replicas whose clocks disagree still agree on when a record
 * expires. To compare with "now" on that same clock, the store keeps the {@code mtime} of its latest write (when its
 * reply arrived) and adds the time elapsed since on the monotonic {@link Ticker}; a store that has not written for
 * 60 s first writes the records parent once to learn the time again. "Now" is thus late by
 * at most one round trip, so a record may live that much longer, never shorter; after a leader change it may be off by
 * the skew between the old and the new leader's clocks until the next write. An expired record behaves exactly as an
 * absent one.
 *
 * <p><b>No pile-up.</b> An expired node is deleted (if unchanged since read) when an operation touches it, and a
 * background sweep deletes the expired records nobody touches again: one bucket at a time, all 256 buckets once per
 * {@link Builder#sweepInterval} (default 1 hour; {@link Duration#ZERO} turns it off, e.g. on all but one replica).
 * Buckets keep every listing small. Parents are CONTAINER nodes, removed by the server once empty.
 *
 * <p><b>Client ownership</b> is as for {@link ZooKeeperLockManager}: with {@link Builder#connectString} the store
 * builds, starts and closes its own client; with {@link Builder#client} the caller's started client is used (it may be
 * the manager's) and the caller closes it after the store. Records are persistent, so sessions do not matter to them.
 *
 * <p><b>Timeouts and outages:</b> every method returns or throws {@link LockBackendException} within the
 * operation timeout of {@link Builder#settings}; an unreachable ensemble is never reported as "absent" or "not
 * replaced". A write whose outcome is unknown (connection lost or no answer in time) throws; it may have been applied.
 *
 * <p><b>Size:</b> values up to {@value #MAX_VALUE_BYTES} bytes (ZooKeeper refuses requests over its
 * {@code jute.maxbuffer}, 1 MiB by default, which also holds the path and headers). Every server keeps every record in
 * memory: store small results, or references.
 *
 * <p>Thread safe; the builder is not. Misuse (null or blank key, key over 1400 UTF-8 bytes, value over the limit,
 * non-positive ttl, use after close) throws a JDK exception before any request.
 */
public final class ZooKeeperRecordStore {

    /** The largest value accepted: ZooKeeper's default 1 MiB request limit, less room for path and headers. */
    public static final int MAX_VALUE_BYTES = 900 * 1024;
    private static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofHours(1);

    private ZooKeeperRecordStore() {
    }

    /**
     * A new builder with the default settings and no client or ensemble chosen yet.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds ZooKeeper record stores, on a caller's client ({@link #client}, typically the lock manager's) or on one
     * the store creates from {@link #connectString} and closes with itself. Not thread safe; {@link #build()} may be
     * called repeatedly.
     */
    public static final class Builder extends ZooKeeperClientBuilder<Builder> {
        private LockSettings settings = LockSettings.defaults();
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;

        private Builder() {
        }

        /**
         * The same settings as the lock manager's: the operation timeout bounds every call, the ticker measures time
         * between the ensemble's timestamps, and the lease is the default session timeout of an owned client. The
         * rest is not used.
         *
         * @param settings the settings
         * @return this builder
         * @throws NullPointerException if {@code settings} is null
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * How long one sweep over all buckets takes (one bucket every 1/256 of it); {@link Duration#ZERO} turns the
         * sweep off. Default 1 hour. Each round costs one listing and one read per record of the bucket.
         *
         * @param sweepInterval zero or positive
         * @return this builder
         * @throws NullPointerException if {@code sweepInterval} is null
         * @throws IllegalArgumentException if it is negative
         */
        public Builder sweepInterval(Duration sweepInterval) {
            Objects.requireNonNull(sweepInterval, "sweepInterval must not be null");
            if (sweepInterval.isNegative()) {
                throw new IllegalArgumentException("sweepInterval must not be negative, got " + sweepInterval);
            }
            this.sweepInterval = sweepInterval;
            return this;
        }

        /**
         * Builds the store. Unless {@link #connectLazily}, it waits for the connection first (up to the connection
         * timeout for an own client, the operation timeout for a caller's), so that an unreachable ensemble or a
         * refused authentication shows here.
         *
         * @return a new store; it closes the client it created, never the caller's
         * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
         *     owned client are combined with a caller's client, or if the caller's client is not started
         * @throws io.distlock.LockConfigurationException if the ensemble refused the client's authentication
         * @throws LockBackendException if no connection was made in time
         */
        public RecordStore build() {
            LockSettings built = settings;
            Duration sweep = sweepInterval;
            return open(built, "record store", (client, ownsClient, root, acl) ->
                    new ZooKeeperRecords(client, ownsClient, root, acl, built, sweep));
        }
    }
}
