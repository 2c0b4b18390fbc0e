package io.distlock.idempotency.spi;

import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * Creates record stores for the URI schemes of one backend, from the same URI its
 * {@link io.distlock.spi.LockManagerProvider} takes; found by {@link java.util.ServiceLoader} from
 * {@code META-INF/services/io.distlock.idempotency.spi.RecordStoreProvider}. Implementations need a public
 * no-argument constructor and must be thread safe.
 *
 * <p>One URI configures both the locks and the records of an application, so a provider accepts every parameter
 * that the backend's lock provider accepts (and means the same by it), and no other: a URI that
 * {@link io.distlock.LockManagers#create} takes is never refused here for its parameters.
 */
public interface RecordStoreProvider {

    /**
     * The URI schemes this provider handles, lower case, e.g. {@code redis} and {@code rediss}.
     *
     * @return the schemes, never empty
     */
    Set<String> schemes();

    /**
     * The backend-specific query parameters this provider reads or tolerates. Any other parameter except the common
     * ones ({@link LockUri#COMMON_PARAMETERS}) is rejected before {@link #create} is called.
     *
     * @return the parameter names; empty by default
     */
    default Set<String> parameters() {
        return Set.of();
    }

    /**
     * Creates a store that owns the client it builds from {@code uri} and closes it with itself.
     *
     * @param uri the parsed URI, with the common parameters already in {@link LockUri#settings()}
     * @return a new store
     * @throws IllegalArgumentException if the URI is invalid for this backend, naming the part
     * @throws io.distlock.LockBackendException if the client could not be created
     */
    RecordStore create(LockUri uri);
}
