package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import io.etcd.jetcd.Client;


/**
 * Entry point of the etcd backend: locks that are keys in an etcd v3 cluster (a Raft-replicated CP store), taken and
 * released by one transaction each, never granted twice by the cluster, with the key's create revision as fencing
 * token.
 * <pre>{@code
 * LockManager locks = EtcdLockManager.builder()
 *         .endpoints("etcd1:2379", "etcd2:2379", "etcd3:2379")
 *         .namespace("orders")                 // keys live under /orders/locks/
 *         .settings(LockSettings.defaults())   // lease 30 s: the TTL of the manager's etcd lease
 *         .build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("etcd://etcd1:2379,etcd2:2379/orders"))}.
 *
 * <p><b>Client ownership:</b> with {@link Builder#endpoints} the manager builds and closes its own jetcd client; with
 * {@link Builder#client} it uses the caller's client, which the caller keeps and closes after the manager.
 *
 * <p><b>Leases:</b> with renewal on (the default), all locks of a manager share one etcd lease whose TTL is the
 * settings' lease rounded up to whole seconds; one keep-alive per third of the TTL renews all of them at once. If etcd
 * reports the lease gone, or no keep-alive is confirmed for a whole TTL, every handle is marked lost
 * ({@link io.distlock.LockLoss.Reason#SESSION_LOST} or {@link io.distlock.LockLoss.Reason#BACKEND_UNREACHABLE}).
 * With renewal off (fixed-lease mode) every lock gets its own lease and expires one lease after it was taken; an
 * acquisition then costs two round trips (grant, transaction). etcd raises TTLs below its minimum (1.5 election
 * timeouts, 2 s with default settings) to that minimum.
 *
 * <p><b>Timeouts and outages:</b> every call returns or throws {@link LockBackendException} within
 * {@link LockSettings#operationTimeout()}; an unreachable cluster or one without quorum is never reported as a held
 * key. Refused credentials and missing permissions are reported as {@link LockBackendException} with a message that
 * says so.
 *
 * <p>Thread safe; the builder is not.
 */
public final class EtcdLockManager {

    /** The first path segment of every key when no namespace is given: {@code /distlock/locks/...}. */
    public static final String DEFAULT_NAMESPACE = "distlock";

    private EtcdLockManager() {
    }

    /**
     * A new builder.
     *
     * @return a builder with the default settings and namespace
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds etcd managers; not thread safe, {@link #build()} may be called repeatedly. */
    public static final class Builder extends EtcdClientBuilder<Builder> {

        private Builder() {
        }

        /**
         * Builds the manager. It does not contact etcd: an unreachable cluster or refused credentials show as
         * {@link LockBackendException} on the first calls, not here.
         *
         * @return a new manager
         * @throws IllegalArgumentException if neither or both of client and endpoints are set, if options of an owned
         *     client are combined with a caller's client, or if an endpoint is not {@code host:port} or an http(s)
         *     URL
         * @throws LockBackendException if TLS could not be set up from the given files
         */
        public LockManager build() {
            LockSettings built = settings;
            return open("manager", (client, ownsClient, prefix, description) -> LockManagerCore.create(
                    new EtcdLockBackend(client, ownsClient, prefix, built.lease(), built.renewal(),
                            built.operationTimeout(), description), built));
        }
    }
}
