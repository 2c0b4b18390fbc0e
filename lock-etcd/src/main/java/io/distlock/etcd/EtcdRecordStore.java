package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;

/**
 * Entry point of the etcd record store for {@code lock-idempotency} (idempotency keys and one-time tokens): one key per
 * record, {@code /<namespace>/records/<key>}, next to the {@code locks} of an {@link EtcdLockManager} with the same
 * namespace, attached to a lease of the record's ttl. Every conditional write is one etcd transaction, compared byte
 * for byte.
 * <pre>{@code
 * RecordStore store = EtcdRecordStore.builder().client(etcdClient).namespace("orders").build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 *
 * <p><b>Expiry on the cluster's clock.</b> A record lives as long as its lease, which the etcd leader expires: client
 * clocks never enter, so replicas agree on when a record is gone. etcd counts TTLs in whole seconds, so a ttl is
 * rounded up (and raised to etcd's minimum TTL, 2 s with default settings): a record may live a little longer than
 * asked, never shorter. {@code putIfAbsent} and {@code replace} grant the new record's lease first, so each costs two
 * round trips; a replaced or removed record's old lease is revoked in the background.
 *
 * <p><b>Client ownership</b> is as for {@link EtcdLockManager}: with {@code endpoints} the store builds and closes its
 * own client; with {@code client} the caller's client is used (it may be the manager's) and the caller closes it after
 * the store.
 *
 * <p><b>Timeouts and outages:</b> every method returns or throws {@link LockBackendException} within the
 * operation timeout of the settings; an unreachable cluster is never reported as "absent" or "not replaced". A write
 * whose outcome is unknown (no answer in time) throws; it may have been applied.
 *
 * <p><b>Size:</b> values up to {@value #MAX_VALUE_BYTES} bytes (etcd refuses requests over its
 * {@code --max-request-bytes}, 1.5 MiB by default). Every member keeps every record: store small results, or
 * references.
 *
 * <p>Thread safe; the builder is not. Misuse (null or blank key, key over 1400 UTF-8 bytes, value over the limit,
 * non-positive ttl, use after close) throws a JDK exception before any request.
 */
public final class EtcdRecordStore {

    /** The largest value accepted: 1 MiB, below etcd's default 1.5 MiB request limit with room for the key. */
    public static final int MAX_VALUE_BYTES = 1024 * 1024;

    private EtcdRecordStore() {
    }

    /**
     * A new builder.
     *
     * @return a builder with the default settings and namespace
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds etcd record stores; not thread safe, {@link #build()} may be called repeatedly. */
    public static final class Builder extends EtcdClientBuilder<Builder> {

        private Builder() {
        }

        /**
         * Builds the store. It does not contact etcd: an unreachable cluster shows as {@link LockBackendException}
         * on the first calls, not here. Of the settings, only the operation timeout is used.
         *
         * @return a new record store
         * @throws IllegalArgumentException if neither or both of client and endpoints are set, if options of an owned
         *     client are combined with a caller's client, or if an endpoint is not {@code host:port} or an http(s)
         *     URL
         * @throws LockBackendException if TLS could not be set up from the given files
         */
        public RecordStore build() {
            LockSettings built = settings;
            return open("record store", (client, ownsClient, prefix, description) ->
                    new EtcdRecords(client, ownsClient, prefix, built.operationTimeout(), description));
        }
    }
}
