package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The options the builders of the lock manager and the record store share, and how both turn them into a Hazelcast
 * instance: validation of each option as it is set, the choice between the caller's instance and a client created
 * from addresses, and the client they create (and shut down again if building on it fails) when they own it. One
 * place, so both entry points accept and build the same. Not thread safe, like the builders that hold it.
 */
final class HazelcastConnection {

    /**
     * What an entry point builds on an instance: {@code (instance, ownsInstance, clusterName) -> T}, where
     * {@code clusterName} is the cluster an owned client joined, {@code null} for the caller's instance.
     */
    @FunctionalInterface
    interface Opener<T> {
        T open(HazelcastInstance instance, boolean ownsInstance, String clusterName);
    }

    private HazelcastInstance instance;
    private final List<String> addresses = new ArrayList<>();
    private String clusterName;
    private String username;
    private String password;
    private Duration connectTimeout = Duration.ofSeconds(10);

    void instance(HazelcastInstance instance) {
        this.instance = Objects.requireNonNull(instance, "instance must not be null");
    }

    void addresses(String... addresses) {
        Objects.requireNonNull(addresses, "addresses must not be null");
        for (String address : addresses) {
            Objects.requireNonNull(address, "an address must not be null");
            if (address.isBlank()) {
                throw new IllegalArgumentException("a hazelcast member address must not be blank");
            }
            this.addresses.add(address.trim());
        }
    }

    void clusterName(String clusterName) {
        Objects.requireNonNull(clusterName, "clusterName must not be null");
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("hazelcast cluster name must not be blank");
        }
        this.clusterName = clusterName;
    }

    void credentials(String username, String password) {
        this.username = Objects.requireNonNull(username, "username must not be null");
        this.password = Objects.requireNonNull(password, "password must not be null");
    }

    void connectTimeout(Duration connectTimeout) {
        Objects.requireNonNull(connectTimeout, "connectTimeout must not be null");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
        }
        this.connectTimeout = connectTimeout;
    }

    /**
     * Checks the options and opens what {@code opener} builds: on the caller's instance, or on a client created and
     * connected here (cluster {@code dev} unless named), which is shut down again if the opener fails.
     *
     * @param built what is built, for messages ({@code lock manager}, {@code record store})
     * @param operationTimeout the longest one call may take, which bounds the created client's own retries
     * @throws IllegalStateException if neither an instance nor addresses were given, or both
     * @throws io.distlock.LockBackendException if the created client cannot connect within the connect timeout
     */
    <T> T open(String built, Duration operationTimeout, Opener<T> opener) {
        boolean clientSettings = !addresses.isEmpty() || clusterName != null || username != null;
        if (instance != null && clientSettings) {
            throw new IllegalStateException("give the hazelcast " + built + " either instance(..) or client "
                    + "settings (addresses, clusterName, credentials), not both");
        }
        if (instance == null && addresses.isEmpty()) {
            throw new IllegalStateException("the hazelcast " + built + " needs instance(..) or addresses(..)");
        }
        if (instance != null) {
            return opener.open(instance, false, null);
        }
        String cluster = clusterName == null ? "dev" : clusterName;
        HazelcastInstance client = OwnedClient.connect(List.copyOf(addresses), cluster, username, password,
                connectTimeout, operationTimeout);
        try {
            return opener.open(client, true, cluster);
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }
}
