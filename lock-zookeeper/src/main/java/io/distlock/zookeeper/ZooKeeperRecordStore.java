package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.zookeeper.ZooKeeperCalls.Reply;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * The ZooKeeper record store for {@code lock-idempotency} (idempotency keys and one-time tokens): one PERSISTENT znode
 * per record, {@code /<namespace>/records/<bucket>/<encoded key>}, next to the {@code locks} of a
 * {@link ZooKeeperLockManager} with the same namespace. Every conditional write is atomic on the ensemble through the
 * node's version.
 * <pre>{@code
 * RecordStore store = ZooKeeperRecordStore.builder().client(curator).namespace("orders").build();
 * IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(store).build();
 * }</pre>
 *
 * <p><b>Expiry on the ensemble's clock.</b> ZooKeeper has no TTL for ordinary nodes (TTL nodes need
 * {@code zookeeper.extendedTypesEnabled} on every server, and cannot change their TTL on a replace), so a record
 * carries its ttl and expires at its node's {@code mtime} plus the ttl. {@code mtime} is stamped by the leader when it
 * orders the write, so no client's wall clock enters: replicas whose clocks disagree still agree on when a record
 * expires. To compare with "now" on that same clock, the store keeps the {@code mtime} of its latest write (when its
 * reply arrived) and adds the time elapsed since on the monotonic {@link Ticker}; a store that has not written for
 * {@value #CLOCK_RESYNC_SECONDS} s first writes the records parent once to learn the time again. "Now" is thus late by
 * at most one round trip, so a record may live that much longer, never shorter; after a leader change it may be off by
 * the skew between the old and the new leader's clocks until the next write. An expired record behaves exactly as an
 * absent one.
 *
 * <p><b>No pile-up.</b> An expired node is deleted (if unchanged since read) when an operation touches it, and a
 * background sweep deletes the expired records nobody touches again: one bucket at a time, all 256 buckets once per
 * {@link Builder#sweepInterval} (default 1 hour; {@link Duration#ZERO} turns it off, e.g. on all but one replica).
 * Buckets keep every listing small. Parents are CONTAINER nodes, removed by the server once empty.
 *
 * <p><b>Client ownership</b> is as for {@link ZooKeeperLockManager}: with {@link Builder#connectString} the store
 * builds, starts and closes its own client; with {@link Builder#client} the caller's started client is used (it may be
 * the manager's) and the caller closes it after the store. Records are persistent, so sessions do not matter to them.
 *
 * <p><b>Timeouts and outages:</b> every method returns or throws {@link LockBackendException} within the
 * operation timeout of {@link Builder#settings}; an unreachable ensemble is never reported as "absent" or "not
 * replaced". A write whose outcome is unknown (connection lost or no answer in time) throws; it may have been applied.
 *
 * <p><b>Size:</b> values up to {@value #MAX_VALUE_BYTES} bytes (ZooKeeper refuses requests over its
 * {@code jute.maxbuffer}, 1 MiB by default, which also holds the path and headers). Every server keeps every record in
 * memory: store small results, or references.
 *
 * <p>Thread safe; the builder is not. Misuse (null or blank key, key over 1400 UTF-8 bytes, value over the limit,
 * non-positive ttl, use after close) throws a JDK exception before any request.
 */
public final class ZooKeeperRecordStore implements RecordStore {

    /** The largest value accepted: ZooKeeper's default 1 MiB request limit, less room for path and headers. */
    public static final int MAX_VALUE_BYTES = 900 * 1024;
    /** The longest key accepted, in UTF-8 bytes, as the SPI promises. */
    static final int MAX_KEY_BYTES = 1400;
    static final long CLOCK_RESYNC_SECONDS = 60;
    /** How many buckets records spread over; a power of two. */
    static final int BUCKETS = 256;
    private static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofHours(1);

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperRecordStore.class);
    /** The first byte of every record node: the format of what follows (the ttl in milliseconds, then the value). */
    private static final byte FORMAT = 1;
    private static final int HEADER = 1 + Long.BYTES;
    private static final byte[] NO_DATA = new byte[0];
    private static final long CLOCK_RESYNC_NANOS = TimeUnit.SECONDS.toNanos(CLOCK_RESYNC_SECONDS);
    private static final AtomicInteger SWEEPER_THREADS = new AtomicInteger();

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String recordsPath;
    private final int namespaceLevels;
    private final List<ACL> acl;
    private final ZooKeeperCalls calls;
    private final Ticker ticker;
    private final ScheduledExecutorService sweeper;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile ClockAnchor clock;

    /** The leader's clock (ms) as seen in a write reply, and the ticker's reading when that reply arrived. */
    private record ClockAnchor(long serverMillis, long tickerNanos) {
    }

    /** A record node as read: its value, ttl, and the stat that dates it and versions it. */
    private record Node(byte[] value, long ttlMillis, Stat stat) {
        long expiresAtMillis() {
            long at = stat.getMtime() + ttlMillis;
            return at < stat.getMtime() ? Long.MAX_VALUE : at;
        }
    }

    private ZooKeeperRecordStore(CuratorFramework client, boolean ownsClient, String rootPath, List<ACL> acl,
                                 LockSettings settings, Duration sweepInterval) {
        this.client = client;
        this.ownsClient = ownsClient;
        String namespacePath = ZooKeeperCalls.namespacePath(client);
        this.namespaceLevels = ZooKeeperCalls.levels(namespacePath);
        this.recordsPath = namespacePath + ("/".equals(rootPath) ? "" : rootPath) + "/records";
        this.acl = List.copyOf(acl);
        this.calls = new ZooKeeperCalls(client, settings.operationTimeout(), recordsPath);
        this.ticker = settings.ticker();
        if (sweepInterval.isZero()) {
            this.sweeper = null;
        } else {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, "distlock-zookeeper-record-sweep-"
                        + SWEEPER_THREADS.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
            executor.setRemoveOnCancelPolicy(true);
            long periodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), sweepInterval.toNanos() / BUCKETS);
            // A random first bucket and delay, so that replicas started together do not sweep in step.
            AtomicInteger bucket = new AtomicInteger(ThreadLocalRandom.current().nextInt(BUCKETS));
            executor.scheduleWithFixedDelay(() -> sweep(bucket.getAndIncrement() & (BUCKETS - 1)),
                    ThreadLocalRandom.current().nextLong(periodNanos), periodNanos, TimeUnit.NANOSECONDS);
            this.sweeper = executor;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public int maxValueBytes() {
        return MAX_VALUE_BYTES;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
        checkOpen();
        checkKey(key);
        checkValue(key, value, "value");
        byte[] data = encode(value, ttl);
        String what = "storing record '" + key + "'";
        String path = pathOf(key);
        long deadline = calls.deadline();
        while (true) {
            Reply created = send(deadline, what, (zk, reply) -> zk.create(path, data, acl, CreateMode.PERSISTENT,
                    (rc, p, ctx, name, stat) -> reply.complete(observe(new Reply(rc, stat, null))), null));
            switch (created.code()) {
                case OK:
                    return true;
                case NONODE:
                    // The bucket (or a level above it) is missing, or was reaped as an empty container.
                    calls.ensureParents(calls.handle(what), parentOf(path), namespaceLevels, acl, deadline, what);
                    continue;
                case NODEEXISTS:
                    break;
                default:
                    throw writeFailure(what, created);
            }
            Node node = read(path, deadline, what);
            if (node == null) {
                continue; // deleted since our create: try again
            }
            if (!isExpired(node, deadline, what)) {
                return false;
            }
            // Replace the expired record in place: the version makes it atomic against every other writer.
            Reply set = send(deadline, what, (zk, reply) -> zk.setData(path, data, node.stat.getVersion(),
                    (rc, p, ctx, stat) -> reply.complete(observe(new Reply(rc, stat, null))), null));
            switch (set.code()) {
                case OK:
                    return true;
                case BADVERSION:
                case NONODE:
                    continue; // someone else wrote or deleted it first: look again
                default:
                    throw writeFailure(what, set);
            }
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        checkOpen();
        checkKey(key);
        String what = "reading record '" + key + "'";
        String path = pathOf(key);
        long deadline = calls.deadline();
        Node node = read(path, deadline, what);
        if (node == null) {
            return Optional.empty();
        }
        if (isExpired(node, deadline, what)) {
            deleteExpired(path, node);
            return Optional.empty();
        }
        return Optional.of(node.value);
    }

    @Override
    public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
        checkOpen();
        checkKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        checkValue(key, value, "value");
        byte[] data = encode(value, ttl);
        String what = "replacing record '" + key + "'";
        String path = pathOf(key);
        long deadline = calls.deadline();
        while (true) {
            Node node = read(path, deadline, what);
            if (node == null) {
                return false;
            }
            if (isExpired(node, deadline, what)) {
                deleteExpired(path, node);
                return false;
            }
            if (!Arrays.equals(node.value, expected)) {
                return false;
            }
            Reply set = send(deadline, what, (zk, reply) -> zk.setData(path, data, node.stat.getVersion(),
                    (rc, p, ctx, stat) -> reply.complete(observe(new Reply(rc, stat, null))), null));
            switch (set.code()) {
                case OK:
                    return true;
                case BADVERSION:
                    // Changed since we read it; it may equal the expected value again, so look again.
                    continue;
                case NONODE:
                    return false;
                default:
                    throw writeFailure(what, set);
            }
        }
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        checkOpen();
        checkKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        String what = "removing record '" + key + "'";
        String path = pathOf(key);
        long deadline = calls.deadline();
        while (true) {
            Node node = read(path, deadline, what);
            if (node == null) {
                return false;
            }
            if (isExpired(node, deadline, what)) {
                deleteExpired(path, node);
                return false;
            }
            if (!Arrays.equals(node.value, expected)) {
                return false;
            }
            Reply deleted = send(deadline, what, (zk, reply) -> zk.delete(path, node.stat.getVersion(),
                    (rc, p, ctx) -> reply.complete(new Reply(rc, null, null)), null));
            switch (deleted.code()) {
                case OK:
                    return true;
                case BADVERSION:
                    continue;
                case NONODE:
                    return false;
                default:
                    throw writeFailure(what, deleted);
            }
        }
    }

    /** Stops the sweep and, if the store built its client, closes it. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        if (ownsClient) {
            client.close();
        }
    }

    // ---- requests ----

    /**
     * Sends one request on the current session and waits for its reply until {@code deadline}. A request answered
     * SESSIONEXPIRED was certainly not applied, so it is sent again on the session Curator makes next.
     */
    private Reply send(long deadline, String what, BiConsumer<ZooKeeper, CompletableFuture<Reply>> request) {
        while (true) {
            ZooKeeper zk = calls.connectedHandle(deadline, what);
            CompletableFuture<Reply> reply = new CompletableFuture<>();
            request.accept(zk, reply);
            Reply answer = calls.await(reply, deadline, false, what);
            if (answer.code() != KeeperException.Code.SESSIONEXPIRED) {
                return answer;
            }
            if (calls.isCurrent(zk)) {
                // Curator has not replaced the expired handle yet; give it a moment rather than spin.
                LockSupport.parkNanos(Math.min(TimeUnit.MILLISECONDS.toNanos(10),
                        Math.max(0, deadline - System.nanoTime())));
            }
        }
    }

    /** The record node at {@code path}, or null if there is none. */
    private Node read(String path, long deadline, String what) {
        Reply reply = send(deadline, what, (zk, future) -> zk.getData(path, false,
                (rc, p, ctx, data, stat) -> future.complete(new Reply(rc, stat, data)), null));
        return switch (reply.code()) {
            case OK -> parse(path, reply.data(), reply.stat(), what);
            case NONODE -> null;
            default -> throw calls.failure(what, reply, null);
        };
    }

    private LockBackendException writeFailure(String what, Reply reply) {
        return calls.failure(what, reply, ZooKeeperCalls.isUncertain(reply.code())
                ? "the outcome is unknown: the write may have been applied" : null);
    }

    /**
     * Deletes an expired node if it is still the version we read; fire and forget. Not waiting is safe: another writer
     * that changed it meanwhile keeps it (BADVERSION), and a delete lost to an outage is left to the next toucher or
     * the sweep.
     */
    private void deleteExpired(String path, Node node) {
        ZooKeeper zk;
        try {
            zk = calls.handle("deleting expired record");
        } catch (LockBackendException e) {
            return; // closing: the sweep or the next toucher deletes it
        }
        zk.delete(path, node.stat.getVersion(), (rc, p, ctx) ->
                log.debug("deleted expired record {}: {}", p, KeeperException.Code.get(rc)), null);
    }

    // ---- expiry on the leader's clock ----

    /** Learns the leader's clock from a successful write's reply. */
    private Reply observe(Reply reply) {
        if (reply.code() == KeeperException.Code.OK && reply.stat() != null) {
            clock = new ClockAnchor(reply.stat().getMtime(), ticker.nanoTime());
        }
        return reply;
    }

    private boolean isExpired(Node node, long deadline, String what) {
        return serverNowMillis(deadline, what) >= node.expiresAtMillis();
    }

    /**
     * Now on the leader's clock, late by at most a round trip: the latest write's {@code mtime} plus the ticker's time
     * since its reply. With no recent write, one write to the records parent first (setData, or the parent's creation).
     */
    private long serverNowMillis(long deadline, String what) {
        ClockAnchor anchor = clock;
        long now = ticker.nanoTime();
        if (anchor == null || now - anchor.tickerNanos > CLOCK_RESYNC_NANOS) {
            anchor = resync(deadline, what);
            now = ticker.nanoTime();
        }
        return anchor.serverMillis + TimeUnit.NANOSECONDS.toMillis(now - anchor.tickerNanos);
    }

    private ClockAnchor resync(long deadline, String what) {
        while (true) {
            Reply reply = send(deadline, what, (zk, future) -> zk.setData(recordsPath, NO_DATA, -1,
                    (rc, p, ctx, stat) -> future.complete(observe(new Reply(rc, stat, null))), null));
            switch (reply.code()) {
                case OK:
                    return clock;
                case NONODE:
                    calls.ensureParents(calls.handle(what), recordsPath, namespaceLevels, acl, deadline, what);
                    continue;
                default:
                    throw calls.failure(what, reply, "could not learn the ensemble's time from " + recordsPath);
            }
        }
    }

    // ---- sweep ----

    /** Deletes the expired records of one bucket; runs on the sweeper thread, never throws. */
    private void sweep(int bucket) {
        if (closed.get() || !client.getZookeeperClient().isConnected()) {
            return; // an outage: the next round (or the next toucher) deletes them
        }
        String bucketPath = recordsPath + "/" + bucketName(bucket);
        String what = "sweeping expired records of " + bucketPath;
        try {
            long deadline = calls.deadline();
            Reply listed = send(deadline, what, (zk, future) -> zk.getChildren(bucketPath, false,
                    (rc, p, ctx, children) -> future.complete(new Reply(rc, null,
                            String.join("/", children == null ? List.of() : children)
                                    .getBytes(StandardCharsets.US_ASCII))), null));
            if (listed.code() == KeeperException.Code.NONODE) {
                return;
            }
            if (listed.code() != KeeperException.Code.OK) {
                throw calls.failure(what, listed, null);
            }
            if (listed.data().length == 0) {
                return;
            }
            long now = serverNowMillis(deadline, what);
            ZooKeeper zk = calls.handle(what);
            String[] children = new String(listed.data(), StandardCharsets.US_ASCII).split("/");
            // Pipelined: every read is sent at once; each expired node is deleted if unchanged since read.
            for (String child : children) {
                String path = bucketPath + "/" + child;
                zk.getData(path, false, (rc, p, ctx, data, stat) -> {
                    if (rc != KeeperException.Code.OK.intValue()) {
                        return;
                    }
                    Node node = parseOrNull(data, stat);
                    if (node != null && now >= node.expiresAtMillis()) {
                        zk.delete(path, stat.getVersion(), (deleteRc, dp, dctx) -> { }, null);
                    }
                }, null);
            }
            log.debug("swept {}: {} records looked at", bucketPath, children.length);
        } catch (RuntimeException e) {
            // An outage or a closing client; the sweep is best effort and the next round tries again.
            log.debug("sweep of {} skipped: {}", bucketPath, e.toString());
        }
    }

    // ---- layout and format ----

    private String pathOf(String key) {
        String name = ZnodeNames.encode(key);
        return recordsPath + "/" + bucketName(name.hashCode()) + "/" + name;
    }

    /** Two hex digits from a hash (String.hashCode is specified, so every replica picks the same bucket). */
    private static String bucketName(int hash) {
        int b = (hash ^ (hash >>> 8) ^ (hash >>> 16) ^ (hash >>> 24)) & (BUCKETS - 1);
        return Character.forDigit(b >>> 4, 16) + "" + Character.forDigit(b & 0xF, 16);
    }

    private static String parentOf(String path) {
        return path.substring(0, path.lastIndexOf('/'));
    }

    private static byte[] encode(byte[] value, Duration ttl) {
        ttl = Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        long ttlMillis;
        try {
            // Rounded up, so a ttl below a millisecond still lives.
            ttlMillis = Math.max(1, Math.addExact(ttl.toMillis(), ttl.toNanosPart() % 1_000_000 == 0 ? 0 : 1));
        } catch (ArithmeticException e) {
            ttlMillis = Long.MAX_VALUE;
        }
        return ByteBuffer.allocate(HEADER + value.length).put(FORMAT).putLong(ttlMillis).put(value).array();
    }

    private Node parse(String path, byte[] data, Stat stat, String what) {
        Node node = parseOrNull(data, stat);
        if (node == null) {
            throw new LockBackendException(what + " on " + calls.description() + ": node " + path
                    + " is not a record written by distlock");
        }
        return node;
    }

    private static Node parseOrNull(byte[] data, Stat stat) {
        if (data == null || data.length < HEADER || data[0] != FORMAT) {
            return null;
        }
        long ttlMillis = ByteBuffer.wrap(data, 1, Long.BYTES).getLong();
        return ttlMillis <= 0 ? null : new Node(Arrays.copyOfRange(data, HEADER, data.length), ttlMillis, stat);
    }

    // ---- misuse ----

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the ZooKeeper record store on " + calls.description() + " is closed");
        }
    }

    private static void checkKey(String key) {
        Objects.requireNonNull(key, "key must not be null");
        if (key.isBlank()) {
            throw new IllegalArgumentException("key must not be blank");
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is " + bytes + " UTF-8 bytes long; the limit is " + MAX_KEY_BYTES);
        }
    }

    private static void checkValue(String key, byte[] value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(name + " of record '" + key + "' is " + value.length
                    + " bytes; the limit is " + MAX_VALUE_BYTES);
        }
    }

    /** Builds ZooKeeper record stores; not thread safe, {@link #build()} may be called repeatedly. */
    public static final class Builder {
        private CuratorFramework client;
        private String connectString;
        private String namespace = ZooKeeperLockManager.DEFAULT_NAMESPACE;
        private Duration sessionTimeout;
        private Duration connectionTimeout;
        private String authScheme;
        private byte[] auth;
        private List<ACL> acl;
        private LockSettings settings = LockSettings.defaults();
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;

        private Builder() {
        }

        /**
         * Uses the caller's started client (the lock manager's, typically); the caller closes it after the store.
         * Excludes {@link #connectString}, {@link #sessionTimeout}, {@link #connectionTimeout} and
         * {@link #authorization}.
         */
        public Builder client(CuratorFramework client) {
            this.client = Objects.requireNonNull(client, "client must not be null");
            return this;
        }

        /** The ensemble, e.g. {@code zk1:2181,zk2:2181/chroot}; the store builds and owns its client. */
        public Builder connectString(String connectString) {
            this.connectString = ZooKeeperClients.connectString(connectString);
            return this;
        }

        /**
         * The node under which the {@code records} parent lives; replicas that share records use the same one, and it
         * may be the lock manager's. Default {@value ZooKeeperLockManager#DEFAULT_NAMESPACE}.
         */
        public Builder namespace(String namespace) {
            this.namespace = ZooKeeperClients.namespace(namespace);
            return this;
        }

        /** The session timeout the store's own client asks for. Default: the settings' lease. */
        public Builder sessionTimeout(Duration sessionTimeout) {
            this.sessionTimeout = ZooKeeperClients.positive(sessionTimeout, "sessionTimeout");
            return this;
        }

        /** How long the store's own client tries to connect at first. Default: the settings' operation timeout. */
        public Builder connectionTimeout(Duration connectionTimeout) {
            this.connectionTimeout = ZooKeeperClients.positive(connectionTimeout, "connectionTimeout");
            return this;
        }

        /**
         * Authentication for the store's own client, e.g. {@code ("digest", "user:password")}. With it, records and
         * their parents default to {@link ZooDefs.Ids#CREATOR_ALL_ACL}, so every replica must use the same identity.
         */
        public Builder authorization(String scheme, String auth) {
            Objects.requireNonNull(scheme, "scheme must not be null");
            Objects.requireNonNull(auth, "auth must not be null");
            this.authScheme = scheme;
            this.auth = auth.getBytes(StandardCharsets.UTF_8);
            return this;
        }

        /**
         * The ACL of records and the parents made for them. Default: {@link ZooDefs.Ids#CREATOR_ALL_ACL} with
         * {@link #authorization}, else {@link ZooDefs.Ids#OPEN_ACL_UNSAFE}.
         */
        public Builder acl(List<ACL> acl) {
            this.acl = ZooKeeperClients.acl(acl);
            return this;
        }

        /**
         * The same settings as the lock manager's: the operation timeout bounds every call, the ticker measures time
         * between the ensemble's timestamps, and the lease is the default session timeout of an owned client. The
         * rest is not used.
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * How long one sweep over all buckets takes (one bucket every 1/256 of it); {@link Duration#ZERO} turns the
         * sweep off. Default 1 hour. Each round costs one listing and one read per record of the bucket.
         */
        public Builder sweepInterval(Duration sweepInterval) {
            Objects.requireNonNull(sweepInterval, "sweepInterval must not be null");
            if (sweepInterval.isNegative()) {
                throw new IllegalArgumentException("sweepInterval must not be negative, got " + sweepInterval);
            }
            this.sweepInterval = sweepInterval;
            return this;
        }

        /**
         * Builds the store. With a connect string it starts its client without waiting for the connection: an
         * unreachable ensemble shows as {@link LockBackendException} on the first calls, not here.
         *
         * @throws IllegalArgumentException if neither or both of client and connect string are set, if options of an
         *     owned client are combined with a caller's client, or if the caller's client is not started
         */
        public ZooKeeperRecordStore build() {
            ZooKeeperClients.checkClientChoice(client, connectString,
                    sessionTimeout != null || connectionTimeout != null || authScheme != null, "record store");
            List<ACL> nodeAcl = ZooKeeperClients.aclOrDefault(acl, authScheme);
            String root = ZooKeeperClients.root(namespace);
            if (client != null) {
                return new ZooKeeperRecordStore(client, false, root, nodeAcl, settings, sweepInterval);
            }
            CuratorFramework owned = ZooKeeperClients.newClient(connectString,
                    sessionTimeout != null ? sessionTimeout : settings.lease(),
                    connectionTimeout != null ? connectionTimeout : settings.operationTimeout(), authScheme, auth);
            try {
                owned.start();
                return new ZooKeeperRecordStore(owned, true, root, nodeAcl, settings, sweepInterval);
            } catch (RuntimeException e) {
                owned.close();
                throw e;
            }
        }
    }
}
