package io.distlock.idempotency;

import io.distlock.LockBackendException;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * Creates a {@link RecordStore} from the same URI that {@link io.distlock.LockManagers#create} takes, choosing the
 * backend by the URI's scheme, so that one configuration value gives an application its locks and the records of
 * its idempotency keys and one-time tokens:
 * <pre>{@code
 * URI uri = URI.create("redis://localhost:6379?timeout=2s");
 * LockManager locks = LockManagers.create(uri);
 * RecordStore records = RecordStores.create(uri);
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(records).build();
 * }</pre>
 *
 * <p>The URI is parsed by {@link LockUri}, as for locks: the common parameters mean the same ({@code timeout} bounds
 * every record operation, {@code prefix} is put before record keys where the backend's store takes a prefix), and an
 * unknown parameter is an error, so that a typo never silently falls back to a default. Backend-specific parameters
 * are those of the backend's lock URI.
 *
 * <p><b>Clients:</b> the returned store creates and owns its own client and closes it in {@link RecordStore#close()};
 * it does not share the lock manager's client made from the same URI. That costs a second connection (or pool) to
 * the backend per application instance. To share one client, build the manager and the store on the application's
 * client with the backend's builders instead.
 *
 * <p>Backends are found with {@link ServiceLoader} through {@link RecordStoreProvider}. Thread safe.
 */
public final class RecordStores {

    /** Which module provides which scheme, to name the missing dependency in the error. */
    private static final Map<String, String> MODULE_BY_SCHEME = Map.of(
            "local", "io.distlock:lock-idempotency",
            "redis", "io.distlock:lock-redis",
            "rediss", "io.distlock:lock-redis",
            "redis-sentinel", "io.distlock:lock-redis",
            "redis-cluster", "io.distlock:lock-redis",
            "zookeeper", "io.distlock:lock-zookeeper",
            "hazelcast", "io.distlock:lock-hazelcast",
            "etcd", "io.distlock:lock-etcd",
            "etcds", "io.distlock:lock-etcd",
            "jdbc", "io.distlock:lock-jdbc");

    private RecordStores() {
    }

    /**
     * Creates a record store for the backend that {@code uri}'s scheme names.
     *
     * @param uri a lock URI, e.g. {@code redis://localhost:6379} or {@code local://orders}
     * @return a new store that owns the client it created
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the scheme is missing or unknown, the backend's module is not on the class
     *     path (the message names the module to add), or a parameter is invalid or unknown
     * @throws LockBackendException if the backend's client could not be created
     */
    public static RecordStore create(URI uri) {
        Objects.requireNonNull(uri, "uri must not be null");
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("record store URI '" + LockUri.redact(uri) + "' has no scheme; "
                    + "expected one of " + MODULE_BY_SCHEME.keySet());
        }
        LockUri parsed = LockUri.parse(uri);
        for (RecordStoreProvider provider : ServiceLoader.load(RecordStoreProvider.class,
                RecordStores.class.getClassLoader())) {
            if (provider.schemes().contains(parsed.scheme())) {
                parsed.rejectUnknownParameters(provider.parameters());
                return provider.create(parsed);
            }
        }
        String module = MODULE_BY_SCHEME.get(parsed.scheme());
        if (module == null) {
            throw new IllegalArgumentException("unknown record store URI scheme '" + uri.getScheme()
                    + "'; known schemes are " + MODULE_BY_SCHEME.keySet());
        }
        throw new IllegalArgumentException("no record store for URI scheme '" + uri.getScheme() + "' on the class "
                + "path; add the dependency " + module);
    }
}
