package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.distlock.Ticker;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.zookeeper.ZooKeeperCalls.Reply;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
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
 * The ZooKeeper {@link RecordStore} behind {@link ZooKeeperRecordStore}: one PERSISTENT znode per record,
 * {@code <records path>/<bucket>/<encoded key>}, whose data is a format byte, the ttl in milliseconds and the value.
 * Every conditional write names the version it read, so it is atomic on the ensemble. A record expires at its node's
 * {@code mtime} plus its ttl, compared with "now" on the leader's clock: the {@code mtime} of this store's latest write
 * plus the ticker's time since, refreshed by a write to the records parent when older than
 * {@value #CLOCK_RESYNC_SECONDS} s. Expired nodes are deleted when touched, and by a sweep over one bucket at a time.
 *
 * <p>Thread safe. Every call returns or throws {@link LockBackendException} within the operation timeout.
 */
final class ZooKeeperRecords implements RecordStore {

    static final int MAX_VALUE_BYTES = ZooKeeperRecordStore.MAX_VALUE_BYTES;
    /** The longest key accepted, in UTF-8 bytes, as the SPI promises. */
    static final int MAX_KEY_BYTES = 1400;
    static final long CLOCK_RESYNC_SECONDS = 60;
    /** How many buckets records spread over; a power of two. */
    static final int BUCKETS = 256;

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperRecords.class);
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

    /**
     * @param client a started client
     * @param ownsClient whether {@link #close()} closes the client
     * @param rootPath where the {@code records} parent lives, e.g. {@code /distlock}, below the client's namespace
     * @param acl the ACL of record nodes and the parents made for them
     * @param settings the operation timeout bounds every call; the ticker measures time between the ensemble's stamps
     * @param sweepInterval one sweep over all buckets; zero for none
     */
    ZooKeeperRecords(CuratorFramework client, boolean ownsClient, String rootPath, List<ACL> acl,
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
        return writeIfEquals(key, expected, "replacing record '" + key + "'", (zk, path, version, reply) ->
                zk.setData(path, data, version,
                        (rc, p, ctx, stat) -> reply.complete(observe(new Reply(rc, stat, null))), null));
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        checkOpen();
        checkKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        return writeIfEquals(key, expected, "removing record '" + key + "'", (zk, path, version, reply) ->
                zk.delete(path, version, (rc, p, ctx) -> reply.complete(new Reply(rc, null, null)), null));
    }

    /** A write conditional on the version read: {@code setData} or {@code delete} with that version. */
    @FunctionalInterface
    private interface VersionedWrite {
        void send(ZooKeeper zk, String path, int version, CompletableFuture<Reply> reply);
    }

    /**
     * Applies {@code write} to the live record of {@code key} if its value equals {@code expected}, at the version
     * read. A BADVERSION means someone wrote in between; the new value may equal the expected one again, so it reads
     * again. That can only happen because someone else made progress, and the deadline bounds it anyway.
     */
    private boolean writeIfEquals(String key, byte[] expected, String what, VersionedWrite write) {
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
            int version = node.stat.getVersion();
            Reply reply = send(deadline, what, (zk, future) -> write.send(zk, path, version, future));
            switch (reply.code()) {
                case OK:
                    return true;
                case BADVERSION:
                    continue;
                case NONODE:
                    return false;
                default:
                    throw writeFailure(what, reply);
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
            // Bounded like the lock backend's: a server that never answers holds the close for a request timeout.
            ZooKeeperClientBuilder.closeWithin(client, calls.timeout());
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
}
