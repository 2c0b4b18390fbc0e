package io.distlock.demo;

import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.spi.LockUri;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Replicas whose managers come from {@link LockManagers#create(URI)}: one client per replica against the backend the
 * URI names (a Redis server, a ZooKeeper ensemble, an existing Hazelcast cluster, or a local:// table shared in this
 * JVM). The demo does not start these backends; they must be running.
 */
final class UriDeployment implements Deployment {

    private final String description;
    private final List<LockManager> managers;

    private UriDeployment(String description, List<LockManager> managers) {
        this.description = description;
        this.managers = List.copyOf(managers);
    }

    /**
     * Creates {@code replicas} managers for {@code uri}.
     *
     * @throws IllegalArgumentException if the URI's scheme or parameters are not understood
     * @throws io.distlock.LockBackendException if a client could not be created
     */
    static UriDeployment open(URI uri, int replicas) {
        List<LockManager> managers = new ArrayList<>(replicas);
        try {
            for (int i = 0; i < replicas; i++) {
                managers.add(LockManagers.create(uri));
            }
        } catch (RuntimeException e) {
            for (LockManager manager : managers) {
                try {
                    manager.close();
                } catch (RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        return new UriDeployment(LockUri.redact(uri) + ", one LockManager (and client) per replica", managers);
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public LockManager manager(int replica) {
        return managers.get(replica);
    }

    @Override
    public void close() {
        for (LockManager manager : managers) {
            try {
                manager.close();
            } catch (RuntimeException e) {
                // Closing must not hide the report; a manager that cannot reach its backend lets its locks expire.
                System.err.println("warning: closing a lock manager failed: " + e);
            }
        }
    }
}
