package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;
import org.redisson.api.RedissonClient;

import java.time.Duration;
import java.util.Objects;

/**
 * Entry point of the Redis backend: builds {@link LockManager}s whose locks exclude each other across every process
 * using the same Redis deployment (single server, Sentinel or Cluster), through the Redisson client.
 * <pre>{@code
 * LockManager locks = RedisLockManager.builder()
 *         .address("redis.internal:6379")
 *         .password(secret)
 *         .settings(LockSettings.defaults().withLease(Duration.ofSeconds(10)))
 *         .build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("redis://:secret@redis.internal:6379?lease=10s"))}.
 *
 * <p><b>Cost:</b> acquire, release and renewal are one round trip each (one Lua script); a tryLock on a key held
 * elsewhere is one round trip and never subscribes or polls; on a key held by the same manager it is none. A bounded
 * wait is woken by a release message on one pub/sub subscription that the manager shares between all its waits.
 *
 * <p><b>Guarantees</b> (see the module README for their limits): mutual exclusion as long as Redis keeps its writes
 * (a failover to a replica that missed the last writes, or a restart without persistence, can let a second holder in
 * while the first still believes it holds the lock; fencing tokens then reject the stale one). Fencing tokens
 * strictly increase per key, also across such losses, provided the servers' clocks never step back by more than the
 * time between two acquisitions of a key once its fence counter has expired (see {@link Builder#fenceRetention}).
 *
 * <p><b>Outage:</b> every call is bounded by {@link LockSettings#operationTimeout()} and then throws
 * {@link LockBackendException}; Redisson does not retry lock scripts. <b>Thread safety:</b> managers are thread safe;
 * builders are not.
 */
public final class RedisLockManager {

    /** Default lifetime of a key's fence counter after its last acquisition. */
    public static final Duration DEFAULT_FENCE_RETENTION = Duration.ofHours(1);

    private RedisLockManager() {
    }

    /** {@return a new builder with the default settings and no client or server chosen yet} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds Redis lock managers, either on a client the caller owns ({@link #client}) or on a client the manager
     * creates from connection settings ({@link #address}, {@link #sentinel} or {@link #cluster}) and closes with
     * itself. Not thread safe; {@link #build()} may be called repeatedly.
     */
    public static final class Builder extends RedisClientBuilder<Builder> {
        private LockSettings settings = LockSettings.defaults();
        private Duration fenceRetention = DEFAULT_FENCE_RETENTION;
        private RedisLockBackend.ReplicaAcks replicaAcks = RedisLockBackend.ReplicaAcks.NONE;
        /** 0: the deployment's default. */
        private int renewalBatchSize;

        private Builder() {
        }

        /**
         * Makes every acquisition and renewal count only once {@code replicas} replicas have confirmed it: the
         * script is pipelined with {@code WAIT replicas timeout} (one round trip, plus the replication delay). A
         * master cut off from its replicas then can neither grant a lock nor extend one, so after a failover the
         * old holder's handle stops saying {@code isHeld()} before the promoted replica lets anyone else in
         * (clocks permitting), instead of for as long as the old master stays reachable. An acquisition that is not
         * confirmed in time fails with {@link LockBackendException} and is released; a renewal that is not
         * confirmed is retried until the lease ends, then the lock is reported lost
         * ({@code BACKEND_UNREACHABLE}). Default: off (0), Redis's asynchronous replication alone.
         *
         * <p>Costs: each acquire and renewal waits for the slowest of the {@code replicas} fastest replicas; with
         * fewer replicas connected than asked for, every acquisition fails. {@code WAIT} does not roll a write
         * back: a lock taken on an isolated master stays there (nobody can see it) until its lease ends.
         *
         * @param replicas how many replicas must confirm, 0 to turn this off
         * @param timeout how long the master waits for them; shorter than the operation timeout (checked at
         *     {@code build()})
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code replicas} is negative, or {@code timeout} is shorter than 1 ms
         *     while {@code replicas} is positive
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            Objects.requireNonNull(timeout, "timeout must not be null");
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas must not be negative, got " + replicas);
            }
            if (replicas > 0 && timeout.toMillis() < 1) {
                throw new IllegalArgumentException("the replica timeout must be at least 1 ms, got " + timeout);
            }
            this.replicaAcks = replicas == 0 ? RedisLockBackend.ReplicaAcks.NONE
                    : new RedisLockBackend.ReplicaAcks(replicas, timeout);
            return this;
        }

        /**
         * The most held locks renewed by one request. On one server, a Sentinel master or a replicated master they
         * are renewed by one script (a GET and a PEXPIRE per lock, about a millisecond of server time for 500); in a
         * Cluster by one script per hash slot, pipelined, so there this only bounds how many scripts one renewal
         * puts on the connections at once. A manager has at most 16 such requests in flight. Larger batches mean
         * fewer requests (10,000 held locks with a 3 s lease: about 17 scripts a second at 500, 70 at 100, measured) and
         * longer scripts, during which the server answers nobody else. Default 500, or 100 in a Cluster; URI
         * parameter {@code renewalBatchSize}.
         *
         * @param locks how many locks one renewal request may carry, 1 to 10,000
         * @return this builder
         * @throws IllegalArgumentException if {@code locks} is outside 1 to 10,000
         */
        public Builder renewalBatchSize(int locks) {
            if (locks < 1 || locks > RedisLockBackend.MAX_RENEWAL_BATCH_SIZE) {
                throw new IllegalArgumentException("renewalBatchSize must be between 1 and "
                        + RedisLockBackend.MAX_RENEWAL_BATCH_SIZE + ", got " + locks);
            }
            this.renewalBatchSize = locks;
            return this;
        }

        /**
         * Lease, renewal, operation timeout, key prefix and ticker; default {@link LockSettings#defaults()}.
         *
         * @param settings the settings
         * @return this builder
         * @throws NullPointerException if {@code settings} is null
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * How long a key's fence counter is kept after the key was last acquired; default one hour. Tokens are
         * {@code max(counter + 1, server time in microseconds)}: the counter keeps them increasing when the
         * server's clock steps back by less than this, at the cost of one small Redis key per recently used lock
         * key. Longer is safer against clock steps and costs more memory.
         *
         * @param fenceRetention how long fence counters are kept
         * @return this builder
         * @throws NullPointerException if {@code fenceRetention} is null
         * @throws IllegalArgumentException if {@code fenceRetention} is shorter than 1 ms
         */
        public Builder fenceRetention(Duration fenceRetention) {
            Objects.requireNonNull(fenceRetention, "fenceRetention must not be null");
            if (fenceRetention.toMillis() < 1) {
                throw new IllegalArgumentException("fenceRetention must be at least 1 ms, got " + fenceRetention);
            }
            this.fenceRetention = fenceRetention;
            return this;
        }

        /**
         * Builds the manager; when it creates its client, it connects now, so that a wrong address or password
         * shows here rather than at the first lock.
         *
         * @return a new manager; it closes the client it created, never the caller's
         * @throws IllegalStateException if neither a client nor a server ({@code address}, {@code sentinel},
         *     {@code cluster}) was given, a client was combined with connection settings, a database other than
         *     0 was given for a Cluster, or the replica timeout is not shorter than the operation timeout
         * @throws IllegalArgumentException if an address is malformed (host, port, scheme, credentials or path in
         *     it), or {@code tls(true)} was combined with a {@code redis://} address
         * @throws io.distlock.LockConfigurationException if Redis answered but refused the configuration (wrong or
         *     missing password, unknown database, failed TLS handshake); the first line of the message says which
         * @throws LockBackendException if Redis could not be reached within the
         *     timeouts (no retries: the cause says why)
         */
        public LockManager build() {
            if (replicaAcks.replicas() > 0 && replicaAcks.timeout().compareTo(settings.operationTimeout()) >= 0) {
                throw new IllegalStateException("the replica timeout of waitForReplicas (" + replicaAcks.timeout()
                        + ") must be shorter than the operation timeout (" + settings.operationTimeout() + "), "
                        + "which bounds the whole call");
            }
            return build("manager", settings.operationTimeout(), this::create);
        }

        private LockManager create(RedissonClient redisson, boolean owns, RedisFailures failures) {
            return LockManagerCore.create(new RedisLockBackend(redisson, owns, failures,
                    settings.operationTimeout(), fenceRetention, replicaAcks, renewalBatchSize), settings);
        }
    }
}
