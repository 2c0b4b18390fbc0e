package io.distlock.spring;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code distlock.*} properties. Unset lock settings keep the library's defaults ({@code LockSettings}); with
 * {@code distlock.uri} they become the URI's query parameters, and setting one both ways is a start-up error.
 */
@ConfigurationProperties("distlock")
public class DistlockProperties {

    /**
     * The backend as a lock URI, e.g. {@code redis://localhost:6379}, {@code zookeeper://localhost:2181},
     * {@code hazelcast://localhost:5701} or {@code local://orders}. Takes precedence over client beans of the
     * application. The manager made from it owns and closes its client; the record store made from it (for
     * idempotency keys, one-time tokens and {@code @Idempotent}), when something needs one, owns a second client.
     */
    private URI uri;

    /** How long a lock outlives its last renewal; a holder that dies frees its keys within one lease. Default 30s. */
    private Duration lease;

    /** Whether held locks are renewed in the background (about every third of the lease). Default true. */
    private Boolean renewal;

    /** The longest one backend call may take before it fails with LockBackendException. Default 3s. */
    private Duration operationTimeout;

    /**
     * Put before every lock key and record key, so that applications sharing a backend keep apart. Default
     * "${spring.application.name}:" when the application has a name, else none.
     */
    private String keyPrefix;

    private final Idempotency idempotency = new Idempotency();

    private final Web web = new Web();

    private final Jdbc jdbc = new Jdbc();

    /** @return {@code distlock.uri}, or null where unset means the default */
    public URI getUri() {
        return uri;
    }

    /** @param uri {@code distlock.uri} */
    public void setUri(URI uri) {
        this.uri = uri;
    }

    /** @return {@code distlock.lease}, or null where unset means the default */
    public Duration getLease() {
        return lease;
    }

    /** @param lease {@code distlock.lease} */
    public void setLease(Duration lease) {
        this.lease = lease;
    }

    /** @return {@code distlock.renewal}, or null where unset means the default */
    public Boolean getRenewal() {
        return renewal;
    }

    /** @param renewal {@code distlock.renewal} */
    public void setRenewal(Boolean renewal) {
        this.renewal = renewal;
    }

    /** @return {@code distlock.operation-timeout}, or null where unset means the default */
    public Duration getOperationTimeout() {
        return operationTimeout;
    }

    /** @param operationTimeout {@code distlock.operation-timeout} */
    public void setOperationTimeout(Duration operationTimeout) {
        this.operationTimeout = operationTimeout;
    }

    /** @return {@code distlock.key-prefix}, or null where unset means the default */
    public String getKeyPrefix() {
        return keyPrefix;
    }

    /** @param keyPrefix {@code distlock.key-prefix} */
    public void setKeyPrefix(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    /**
     * The key prefix in effect: {@link #getKeyPrefix()} if set, else the application's name and a colon, else none.
     *
     * @param applicationName {@code spring.application.name}, or null
     * @return the prefix, possibly empty
     */
    public String effectiveKeyPrefix(String applicationName) {
        if (keyPrefix != null) {
            return keyPrefix;
        }
        return applicationName == null || applicationName.isBlank() ? "" : applicationName + ":";
    }

    /** @return the {@code distlock.idempotency.*} properties */
    public Idempotency getIdempotency() {
        return idempotency;
    }

    /** @return the {@code distlock.web.*} properties */
    public Web getWeb() {
        return web;
    }

    /** @return the {@code distlock.jdbc.*} properties */
    public Jdbc getJdbc() {
        return jdbc;
    }

    /** {@code distlock.idempotency.*}: the {@code @Idempotent} controller methods and the IdempotencyKeys bean. */
    public static class Idempotency {

        /** How long a completed request's response is replayed to retries with the same key. Default 24h. */
        private Duration ttl = Duration.ofHours(24);

        /**
         * The largest response (body and replayed headers, encoded) that is stored for replay. A larger one is not
         * stored and the request fails with 500, so that a retry is never answered by running the request again
         * without anybody noticing. Default 512 KiB.
         */
        private int maxResponseBytes = 512 * 1024;

        /**
         * Whether 5xx responses are stored and replayed. Default false: a server error is usually transient, and
         * its retry should run the request again.
         */
        private boolean storeServerErrors;

        /**
         * Response headers stored and replayed besides Content-Type. Names are case-insensitive. Headers that
         * describe one exchange (Date, Set-Cookie, Transfer-Encoding...) are deliberately not in the default list.
         */
        private List<String> replayedHeaders = new ArrayList<>(List.of("Location", "ETag", "Last-Modified",
                "Content-Location", "Content-Language", "Cache-Control", "Link"));

        /** @return {@code distlock.idempotency.ttl} */
        public Duration getTtl() {
            return ttl;
        }

        /** @param ttl {@code distlock.idempotency.ttl} */
        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        /** @return {@code distlock.idempotency.max-response-bytes} */
        public int getMaxResponseBytes() {
            return maxResponseBytes;
        }

        /** @param maxResponseBytes {@code distlock.idempotency.max-response-bytes} */
        public void setMaxResponseBytes(int maxResponseBytes) {
            this.maxResponseBytes = maxResponseBytes;
        }

        /** @return {@code distlock.idempotency.store-server-errors} */
        public boolean isStoreServerErrors() {
            return storeServerErrors;
        }

        /** @param storeServerErrors {@code distlock.idempotency.store-server-errors} */
        public void setStoreServerErrors(boolean storeServerErrors) {
            this.storeServerErrors = storeServerErrors;
        }

        /** @return {@code distlock.idempotency.replayed-headers} */
        public List<String> getReplayedHeaders() {
            return replayedHeaders;
        }

        /** @param replayedHeaders {@code distlock.idempotency.replayed-headers} */
        public void setReplayedHeaders(List<String> replayedHeaders) {
            this.replayedHeaders = replayedHeaders;
        }
    }

    /** {@code distlock.web.*}: how lock errors become HTTP responses. */
    public static class Web {

        /**
         * Whether LockNotAcquiredException becomes 409 and LockBackendException 503 (application/problem+json)
         * when no handler of the application handled them. Default true.
         */
        private boolean problemDetails = true;

        /** The Retry-After of a 503 for a backend outage, rounded up to whole seconds. Default 5s. */
        private Duration retryAfter = Duration.ofSeconds(5);

        /** @return {@code distlock.web.problem-details} */
        public boolean isProblemDetails() {
            return problemDetails;
        }

        /** @param problemDetails {@code distlock.web.problem-details} */
        public void setProblemDetails(boolean problemDetails) {
            this.problemDetails = problemDetails;
        }

        /** @return {@code distlock.web.retry-after} */
        public Duration getRetryAfter() {
            return retryAfter;
        }

        /** @param retryAfter {@code distlock.web.retry-after} */
        public void setRetryAfter(Duration retryAfter) {
            this.retryAfter = retryAfter;
        }
    }

    /** {@code distlock.jdbc.*}: the JDBC backend on the application's DataSource (with io.distlock:lock-jdbc). */
    public static class Jdbc {

        /**
         * Whether the application's DataSource may be the lock backend. It is chosen only when neither
         * distlock.uri nor a Redisson, Curator or Hazelcast client bean is there. Default true.
         */
        private boolean enabled = true;

        /**
         * Whether distlock creates its tables (distlock_locks, distlock_records, distlock_idempotency) when they are
         * missing, and upgrades an older distlock_locks. Default false: apply the scripts shipped in lock-jdbc with
         * Flyway or Liquibase (classpath:io/distlock/jdbc/schema/DIALECT).
         */
        private boolean createSchema;

        /**
         * Whether the JdbcTransactionalIdempotency bean (idempotency records in the caller's transaction) is made.
         * Default true.
         */
        private boolean transactionalIdempotency = true;

        /**
         * How long a concurrent duplicate of a transactional idempotency key waits for the first request's
         * uncommitted claim before RequestInProgressException, on MySQL, MariaDB and H2 (whole seconds on MySQL);
         * PostgreSQL does not wait. Default 1s.
         */
        private Duration lockWait = Duration.ofSeconds(1);

        /** @return {@code distlock.jdbc.enabled} */
        public boolean isEnabled() {
            return enabled;
        }

        /** @param enabled {@code distlock.jdbc.enabled} */
        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        /** @return {@code distlock.jdbc.create-schema} */
        public boolean isCreateSchema() {
            return createSchema;
        }

        /** @param createSchema {@code distlock.jdbc.create-schema} */
        public void setCreateSchema(boolean createSchema) {
            this.createSchema = createSchema;
        }

        /** @return {@code distlock.jdbc.transactional-idempotency} */
        public boolean isTransactionalIdempotency() {
            return transactionalIdempotency;
        }

        /** @param transactionalIdempotency {@code distlock.jdbc.transactional-idempotency} */
        public void setTransactionalIdempotency(boolean transactionalIdempotency) {
            this.transactionalIdempotency = transactionalIdempotency;
        }

        /** @return {@code distlock.jdbc.lock-wait} */
        public Duration getLockWait() {
            return lockWait;
        }

        /** @param lockWait {@code distlock.jdbc.lock-wait} */
        public void setLockWait(Duration lockWait) {
            this.lockWait = lockWait;
        }
    }
}
