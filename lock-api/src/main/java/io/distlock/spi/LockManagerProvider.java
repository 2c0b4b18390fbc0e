package io.distlock.spi;

import io.distlock.LockManager;

import java.util.Set;

/**
 * Creates managers for the URI schemes of one backend; found by {@link java.util.ServiceLoader} from
 * {@code META-INF/services/io.distlock.spi.LockManagerProvider}. Implementations need a public no-argument constructor
 * and must be thread safe.
 */
public interface LockManagerProvider {

    /** {@return the URI schemes this provider handles, lower case, e.g. {@code redis} and {@code rediss}} */
    Set<String> schemes();

    /**
     * The backend-specific query parameters this provider reads. Any other parameter except the common ones
     * ({@link LockUri#COMMON_PARAMETERS}) is rejected before {@link #create} is called.
     *
     * @return the backend's own parameter names, lower case; empty by default
     */
    default Set<String> parameters() {
        return Set.of();
    }

    /**
     * Creates a manager that owns the client it builds from {@code uri}.
     *
     * @param uri the parsed URI, common parameters already checked
     * @return a new manager that owns its client
     * @throws IllegalArgumentException if the URI is invalid for this backend, naming the part
     * @throws io.distlock.LockBackendException if the client could not be created
     */
    LockManager create(LockUri uri);
}
