package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The options that {@link HazelcastLockManager.Builder} and {@link HazelcastRecordStore.Builder} share: either the
 * caller's {@link HazelcastInstance} or the settings of a client that what they build creates, owns and shuts down
 * (and shuts down again at once if building on it fails). Written once so that both take, check and document these
 * options the same way; each builder adds its own options and {@code build()}. Self-typed so that chained calls keep
 * the concrete builder's type. Package-private: its public methods appear as the builders' own. Not thread safe,
 * like the builders.
 *
 * @param <B> the concrete builder
 */
abstract sealed class HazelcastClientBuilder<B extends HazelcastClientBuilder<B>>
        permits HazelcastLockManager.Builder, HazelcastRecordStore.Builder {

    /**
     * What a builder makes of an instance: {@code (instance, ownsInstance, clusterName) -> T}, where
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
    private Duration connectTimeout;

    HazelcastClientBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        // Safe: the only subclasses are the two builders, each declared as HazelcastClientBuilder<itself>.
        return (B) this;
    }

    /**
     * Uses the caller's member or client; the caller shuts it down, after closing what this builder builds. Excludes
     * the client settings ({@link #addresses}, {@link #clusterName}, {@link #credentials}, {@link #connectTimeout}).
     *
     * @param instance a running member or client
     * @return this builder
     * @throws NullPointerException if {@code instance} is null
     */
    public B instance(HazelcastInstance instance) {
        this.instance = Objects.requireNonNull(instance, "instance must not be null");
        return self();
    }

    /**
     * The {@code host:port} addresses of some members, for a client that what this builder builds creates and shuts
     * down on close. Adds to earlier addresses.
     *
     * @param addresses member addresses
     * @return this builder
     * @throws NullPointerException if the array or an address is null
     * @throws IllegalArgumentException if an address is blank
     */
    public B addresses(String... addresses) {
        Objects.requireNonNull(addresses, "addresses must not be null");
        for (String address : addresses) {
            Objects.requireNonNull(address, "an address must not be null");
            if (address.isBlank()) {
                throw new IllegalArgumentException("a hazelcast member address must not be blank");
            }
            this.addresses.add(address.trim());
        }
        return self();
    }

    /**
     * The cluster name the created client presents; default {@code dev}, as Hazelcast's. Members refuse a client
     * with another name, and {@code build()} then fails with {@link LockConfigurationException}.
     *
     * @param clusterName the members' cluster name
     * @return this builder
     * @throws NullPointerException if {@code clusterName} is null
     * @throws IllegalArgumentException if {@code clusterName} is blank
     */
    public B clusterName(String clusterName) {
        Objects.requireNonNull(clusterName, "clusterName must not be null");
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("hazelcast cluster name must not be blank");
        }
        this.clusterName = clusterName;
        return self();
    }

    /**
     * User name and password for the created client, never logged. Only for clusters with security enabled
     * (Enterprise): a community member refuses a client that sends credentials, and {@code build()} then fails with
     * {@link LockConfigurationException}.
     *
     * @param username the user
     * @param password the password
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public B credentials(String username, String password) {
        this.username = Objects.requireNonNull(username, "username must not be null");
        this.password = Objects.requireNonNull(password, "password must not be null");
        return self();
    }

    /**
     * How long {@code build()} waits for the created client's first connection; default the operation timeout.
     *
     * @param connectTimeout a positive duration
     * @return this builder
     * @throws NullPointerException if {@code connectTimeout} is null
     * @throws IllegalArgumentException if {@code connectTimeout} is not positive
     */
    public B connectTimeout(Duration connectTimeout) {
        Objects.requireNonNull(connectTimeout, "connectTimeout must not be null");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, got " + connectTimeout);
        }
        this.connectTimeout = connectTimeout;
        return self();
    }

    /**
     * Checks the options and opens what {@code opener} builds: on the caller's instance, or on a client created and
     * connected here (cluster {@code dev} unless named), which is shut down again if the opener fails.
     *
     * @param built what is built, for messages ({@code lock manager}, {@code record store})
     * @param operationTimeout the longest one call may take: bounds the created client's own retries, and its first
     *     connection unless {@link #connectTimeout} says otherwise
     * @throws IllegalStateException if neither an instance nor addresses were given, or both
     * @throws LockConfigurationException if the cluster refused the created client (cluster name, credentials)
     * @throws LockBackendException if the created client cannot connect within the connect timeout
     */
    final <T> T open(String built, Duration operationTimeout, Opener<T> opener) {
        boolean clientSettings = !addresses.isEmpty() || clusterName != null || username != null
                || connectTimeout != null;
        if (instance != null && clientSettings) {
            throw new IllegalStateException("give the hazelcast " + built + " either instance(..) or client "
                    + "settings (addresses, clusterName, credentials, connectTimeout), not both");
        }
        if (instance == null && addresses.isEmpty()) {
            throw new IllegalStateException("the hazelcast " + built + " needs instance(..) or addresses(..)");
        }
        if (instance != null) {
            return opener.open(instance, false, null);
        }
        String cluster = clusterName == null ? "dev" : clusterName;
        HazelcastInstance client = OwnedClient.connect(List.copyOf(addresses), cluster, username, password,
                connectTimeout == null ? operationTimeout : connectTimeout, operationTimeout);
        try {
            return opener.open(client, true, cluster);
        } catch (RuntimeException e) {
            client.getLifecycleService().terminate();
            throw e;
        }
    }
}
