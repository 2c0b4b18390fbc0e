package io.distlock.redis;

import io.distlock.LockBackendException;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.ClusterServersConfig;
import org.redisson.config.Config;
import org.redisson.config.SentinelServersConfig;
import org.redisson.config.SingleServerConfig;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * The client options that {@link RedisLockManager.Builder} and {@link RedisRecordStore.Builder} share: either the
 * caller's client or the connection settings of a client that what they build creates and owns. Written once so
 * that both take, check and document these options the same way; each builder adds its own options and
 * {@code build()}. Self-typed so that chained calls keep the concrete builder's type. Package-private: its public
 * methods appear as the builders' own. Not thread safe, like the builders.
 *
 * @param <B> the concrete builder
 */
abstract sealed class RedisClientBuilder<B extends RedisClientBuilder<B>>
        permits RedisLockManager.Builder, RedisRecordStore.Builder {

    /**
     * What {@link #build} makes of a client: the client, whether it is owned, and how its failures are reported
     * (which also describes the deployment for messages).
     */
    @FunctionalInterface
    interface Factory<T> {
        T create(RedissonClient client, boolean ownsClient, RedisFailures failures);
    }

    private RedissonClient client;
    private final RedisConnection connection = new RedisConnection();

    RedisClientBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        // Safe: the only subclasses are the two builders, each declared as RedisClientBuilder<itself>.
        return (B) this;
    }

    /**
     * Uses the caller's client, which the caller keeps and closes after what this builder builds; one client may
     * serve lock managers and record stores alike. Its codec does not matter; its timeouts and retries are
     * overridden per call with the operation timeout and no retry. Excludes every connection option.
     *
     * @param client the caller's client
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public B client(RedissonClient client) {
        this.client = Objects.requireNonNull(client, "client must not be null");
        return self();
    }

    /**
     * One Redis server: {@code host}, {@code host:port}, {@code [ipv6]:port}, optionally as
     * {@code redis://host:port} or {@code rediss://host:port}; port 6379 by default. The address is checked at
     * {@code build()}.
     *
     * @param address the server's address
     * @return this builder
     * @throws NullPointerException if {@code address} is null
     * @throws IllegalArgumentException if {@code address} is blank
     */
    public B address(String address) {
        connection.single(address);
        return self();
    }

    /**
     * A Sentinel-managed master called {@code masterName}, found through these sentinels ({@code host:port}, port
     * 26379 by default).
     *
     * @param masterName the master's name in the sentinels' configuration
     * @param sentinelAddresses {@code host:port} of one or more sentinels
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the master name is blank, no sentinel is given or one is blank
     */
    public B sentinel(String masterName, String... sentinelAddresses) {
        connection.sentinel(masterName, sentinelAddresses);
        return self();
    }

    /**
     * A Redis Cluster, discovered from one or more of its nodes ({@code host:port}).
     *
     * @param nodeAddresses {@code host:port} of one or more nodes
     * @return this builder
     * @throws NullPointerException if an address is null
     * @throws IllegalArgumentException if no address is given or one is blank
     */
    public B cluster(String... nodeAddresses) {
        connection.cluster(nodeAddresses);
        return self();
    }

    /**
     * The ACL user (Redis 6+); without it, the password authenticates the {@code default} user.
     *
     * @param username the ACL user's name
     * @return this builder
     * @throws NullPointerException if {@code username} is null
     */
    public B username(String username) {
        connection.username(username);
        return self();
    }

    /**
     * The password ({@code requirepass} or the ACL user's). Never logged.
     *
     * @param password the password
     * @return this builder
     * @throws NullPointerException if {@code password} is null
     */
    public B password(String password) {
        connection.password(password);
        return self();
    }

    /**
     * The logical database (single server and Sentinel only; Cluster has just database 0). Default 0.
     *
     * @param database the database number, 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code database} is negative
     */
    public B database(int database) {
        connection.database(database);
        return self();
    }

    /**
     * Connects with TLS ({@code rediss://}) to addresses given without a scheme. The JVM's default trust store
     * verifies the server; use {@link #configure} for another trust store or client certificates.
     *
     * @param tls whether to connect with TLS
     * @return this builder
     */
    public B tls(boolean tls) {
        connection.tls(tls);
        return self();
    }

    /**
     * Adjusts the Redisson configuration of the client this builder creates, after distlock has set its own values:
     * called with the {@link Config} (client-wide settings such as threads) and the server configuration of the
     * chosen mode ({@link SingleServerConfig}, {@link SentinelServersConfig} or {@link ClusterServersConfig}; cast
     * for mode-specific settings), for trust stores and client certificates, NAT mapping, pool sizes. Changing the
     * timeout or retries here does not weaken the operation timeout, which is enforced on every call.
     *
     * @param customizer called with the client-wide and the server configuration
     * @return this builder
     * @throws NullPointerException if {@code customizer} is null
     */
    public B configure(BiConsumer<Config, BaseConfig<?>> customizer) {
        connection.configure(customizer);
        return self();
    }

    /**
     * Makes {@code factory}'s product on the caller's client, or on a client built from the connection settings
     * now, which is shut down again if {@code factory} fails.
     *
     * @param what "manager" or "store", for the message about conflicting options
     * @throws IllegalStateException if a client was given together with connection settings, or neither, or a
     *     database other than 0 with Cluster
     * @throws IllegalArgumentException if an address is malformed, or {@code tls(true)} meets a {@code redis://}
     *     address
     * @throws LockBackendException if the client could not connect within its timeouts
     */
    final <T> T build(String what, Duration operationTimeout, Factory<T> factory) {
        if (client != null) {
            if (connection.anySet()) {
                throw new IllegalStateException("connection settings (address, sentinel, cluster, username, "
                        + "password, database, tls, configure) apply only when the " + what + " builds its own "
                        + "client, not together with client(...)");
            }
            return factory.create(client, false, RedisFailures.of("redis (caller's client)"));
        }
        RedisConnection.Connected owned = connection.connect(operationTimeout);
        try {
            return factory.create(owned.client(), true, owned.failures());
        } catch (RuntimeException e) {
            RedisConnection.shutdown(owned.client(), operationTimeout);
            throw e;
        }
    }
}
