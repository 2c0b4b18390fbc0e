package io.distlock;

import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.net.URI;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.function.UnaryOperator;

/**
 * Creates a {@link LockManager} from a URI, choosing the backend by the URI's scheme, so that switching backends is a
 * configuration change once the backend's module is on the class path:
 * <pre>{@code
 * LockManager locks = LockManagers.create(URI.create("redis://localhost:6379?lease=10s"));
 * }</pre>
 *
 * <p>Query parameters every backend understands: {@code lease} (e.g. {@code 30s}, {@code 500ms} or ISO-8601
 * {@code PT30S}), {@code renewal} ({@code true}/{@code false}), {@code timeout} (operation timeout) and
 * {@code prefix} (key prefix). Backends document their own parameters; an unknown parameter is an error, so that a
 * typo never silently falls back to a default. The returned manager owns the client it creates.
 *
 * <p>Backends are found with {@link ServiceLoader} through {@link LockManagerProvider}. Thread safe.
 */
public final class LockManagers {

    /** Which module provides which scheme, to name the missing dependency in the error. */
    private static final Map<String, String> MODULE_BY_SCHEME = Map.of(
            "local", "io.distlock:lock-api",
            "redis", "io.distlock:lock-redis",
            "rediss", "io.distlock:lock-redis",
            "redis-sentinel", "io.distlock:lock-redis",
            "redis-cluster", "io.distlock:lock-redis",
            "zookeeper", "io.distlock:lock-zookeeper",
            "hazelcast", "io.distlock:lock-hazelcast",
            "etcd", "io.distlock:lock-etcd",
            "etcds", "io.distlock:lock-etcd",
            "jdbc", "io.distlock:lock-jdbc");

    private LockManagers() {
    }

    /**
     * Creates a manager for the backend that {@code uri}'s scheme names.
     *
     * @param uri the backend's URI, e.g. {@code redis://host:6379?lease=10s}
     * @return a new manager that owns the client it created; the caller closes it
     * @throws NullPointerException if {@code uri} is null
     * @throws IllegalArgumentException if the scheme is missing or unknown, the backend's module is not on the class
     *     path (the message names the module to add), or a parameter is invalid or unknown
     * @throws LockBackendException if the backend's client could not be created
     */
    public static LockManager create(URI uri) {
        return create(uri, UnaryOperator.identity());
    }

    /**
     * Creates a manager for the backend that {@code uri}'s scheme names, with settings that {@code customizer} derives
     * from those the URI gives, e.g. to add {@linkplain LockListener listeners} or a loss executor, which a URI
     * cannot express:
     * <pre>{@code
     * LockManager locks = LockManagers.create(uri, settings -> settings.withListener(metrics));
     * }</pre>
     *
     * @param uri the lock URI
     * @param customizer called once with the URI's settings before the backend is created; returns the settings to
     *     use
     * @return the manager, which owns the client it created
     * @throws NullPointerException if an argument is null or the customizer returns null
     * @throws IllegalArgumentException if the scheme is missing or unknown, the backend's module is not on the class
     *     path (the message names the module to add), or a parameter is invalid or unknown
     * @throws LockBackendException if the backend's client could not be created
     */
    public static LockManager create(URI uri, UnaryOperator<LockSettings> customizer) {
        Objects.requireNonNull(uri, "uri must not be null");
        Objects.requireNonNull(customizer, "customizer must not be null");
        String scheme = uri.getScheme();
        if (scheme == null) {
            throw new IllegalArgumentException("lock URI '" + LockUri.redact(uri) + "' has no scheme; expected one of "
                    + MODULE_BY_SCHEME.keySet());
        }
        LockUri parsed = LockUri.parse(uri);
        for (LockManagerProvider provider : ServiceLoader.load(LockManagerProvider.class,
                LockManagers.class.getClassLoader())) {
            if (provider.schemes().contains(parsed.scheme())) {
                parsed.rejectUnknownParameters(provider.parameters());
                LockSettings settings = Objects.requireNonNull(customizer.apply(parsed.settings()),
                        "the settings customizer returned null");
                return provider.create(parsed.withSettings(settings));
            }
        }
        String module = MODULE_BY_SCHEME.get(parsed.scheme());
        if (module == null) {
            throw new IllegalArgumentException("unknown lock URI scheme '" + scheme + "'; known schemes are "
                    + MODULE_BY_SCHEME.keySet());
        }
        throw new IllegalArgumentException("no backend for lock URI scheme '" + scheme + "' on the class path; add the "
                + "dependency " + module);
    }
}
