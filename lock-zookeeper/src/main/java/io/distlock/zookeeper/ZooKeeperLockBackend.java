package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockLoss;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.BoundedAwait;
import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import io.distlock.spi.StoredLock;
import io.distlock.zookeeper.ZooKeeperCalls.Reply;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;
import org.apache.zookeeper.common.ZKConfig;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The ZooKeeper {@link LockBackend}: one EPHEMERAL znode per held key, {@code <locks path>/<encoded key>}, whose data
 * is the owner id. A node is identified by its creation zxid (czxid), never by its version: every fresh node has
 * version 0, so a delete "at version 0" would remove whichever node holds the path now.
 * <ul>
 *   <li><b>acquire</b> = one {@code create2} round trip: OK means acquired, with the node's czxid as the fencing
 *       token; NodeExists means held elsewhere. Parents are CONTAINER nodes, made only when a create finds them
 *       missing, so nothing piles up and the common case stays one round trip. The create's callback sends an
 *       {@code exists} watch on the new node at once (the caller does not wait for it): it confirms that the node
 *       at the path is still the one with our czxid, and from then on ZooKeeper notifies us of its deletion or
 *       change.</li>
 *   <li><b>a node deleted or changed behind our back</b> (an operator's {@code deleteall}, a script; the default ACL
 *       lets any session do it) is reported as {@link LockLoss.Reason#NOT_OWNER} through the loss listener, and the
 *       handle's release then sends nothing, so it cannot remove a successor's node.</li>
 *   <li><b>release</b> = one {@code delete} on the session handle that created the node, sent only while the node is
 *       confirmed ours by the watch (ZooKeeper delivers a session's notifications before the replies to its later
 *       requests); an unconfirmed node is read first and deleted only if its czxid is ours. Nothing is sent when
 *       the session is already over.</li>
 *   <li><b>renewal</b> = every third of the lease, one {@code exists} per session for all held nodes its watch has
 *       confirmed (the watch reports any deletion or change before that answer), and one on each node not yet
 *       confirmed, which checks its czxid and arms its watch. It is what the local deadline of
 *       {@link io.distlock.LockHandle#isHeld()} follows: a
 *       handle stops saying held one lease after its last confirmed round trip, although ZooKeeper itself needs no
 *       renewal (the session is the lease). A client that was paused longer than its session thus says "not held"
 *       the moment it resumes, before it has even noticed that its session expired.</li>
 *   <li><b>waiting</b> = an {@code exists} watch sent by each waiting call without waiting for its answer: ZooKeeper
 *       answers one session's requests in order, so the watch is in place before the core's create is processed and
 *       no release can slip between them. All waiting calls on a key share one {@link Watcher} object, so the client
 *       keeps one watcher per watched key however many calls come and go; it is re-armed after each event while
 *       anyone waits.</li>
 *   <li><b>session loss</b> (Curator LOST, or a reconnect on another session) is reported for every held key as
 *       {@link LockLoss.Reason#SESSION_LOST}.</li>
 * </ul>
 * Requests go straight to the session's {@link ZooKeeper} handle, not through Curator's retry loop: Curator retries
 * after a connection loss, possibly on a new session (a delete repeated there can remove a successor's node), and
 * waits for the connection up to its connection timeout once per call; a lock must decide both itself. Every call is
 * bounded by the operation timeout. A create or delete whose outcome is unknown (timeout, connection loss) is
 * remembered as an orphan and deleted once the same session is connected again, if the node still is ours (czxid, or
 * session and owner id when the create's answer never came); one clean-up per orphan runs at a time, however often
 * the connection comes back. A dead session takes its orphans with it. On a caller's client, whose session outlives
 * the backend, {@link #close()} does the same for whatever is left.
 *
 * <p>Thread safe. Callbacks run on the ZooKeeper event thread and never block.
 */
final class ZooKeeperLockBackend implements LockBackend, LockInspection {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperLockBackend.class);
    private static final LossListener NO_LISTENER = (key, owner, reason, cause) -> { };
    /** We never set data on a lock node, so it keeps the version it was created with. */
    private static final int CREATED_VERSION = 0;
    /**
     * Creates attempted per acquire: a parent container may be reaped between making it and the retry, and a create
     * sent just before the client noticed its session expired is retried on the new session.
     */
    private static final int MAX_CREATE_ATTEMPTS = 3;
    private static final String ACQUIRING = "acquiring";
    private static final String RELEASING = "releasing";
    private static final String RENEWING = "checking";
    private static final String READING = "reading";
    /** A session id that no conditional delete checks: the node of any session, identified by its owner data. */
    private static final long ANY_SESSION = 0;
    /**
     * What a listing assumes one child name costs in the getChildren reply (4 bytes of length and the name): the
     * listing refuses a parent with more children than fit the client's packet limit at this size, since a reply over
     * the limit breaks the connection (every request in flight on it then fails with an unknown outcome).
     */
    private static final int LISTED_NAME_BYTES = 64;

    private final CuratorFramework client;
    private final boolean ownsClient;
    private final String locksPath;
    private final int namespaceLevels;
    private final List<ACL> acl;
    private final ZooKeeperCalls calls;
    private final String description;
    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Orphan> orphans = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, PathWatch> pathWatches = new ConcurrentHashMap<>();
    /**
     * The last read-then-delete of each path, in flight: the next one on the path starts only once it ended. Two of
     * them in flight at once could each read the same node; the first deletes it, another client creates the key's
     * node anew (version 0 again), and the second delete removes that node.
     */
    private final ConcurrentHashMap<String, CompletableFuture<Void>> conditionalDeletes = new ConcurrentHashMap<>();
    private final ConnectionStateListener stateListener = (c, state) -> stateChanged(state);
    /** Incremented on every session loss; an acquire that saw it change cannot be sure its node still exists. */
    private final AtomicLong sessionGeneration = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile LossListener lossListener = NO_LISTENER;

    /**
     * A node this backend created (or is creating) and has not released: the owner, the session and handle that
     * created it, and what the watch on it found. It is also that watch's {@link Watcher}: one object per grant, so an
     * event always names the grant it is about, never a later grant of the same key.
     */
    private final class Held implements Watcher {
        final String key;
        final String owner;
        final byte[] ownerBytes;
        final String path;
        final long sessionId;
        final ZooKeeper zk;
        /** Set from the create's reply before the watch is sent. */
        volatile long czxid;
        /** An exists after the create saw our node (and set the watch); until then a release reads first. */
        volatile boolean confirmed;
        /** The node was found deleted or replaced behind our back; set before the loss is reported. */
        volatile boolean gone;

        Held(String key, String owner, byte[] ownerBytes, String path, long sessionId, ZooKeeper zk) {
            this.key = key;
            this.owner = owner;
            this.ownerBytes = ownerBytes;
            this.path = path;
            this.sessionId = sessionId;
            this.zk = zk;
        }

        /**
         * Whether {@code stat} describes this grant's node as we made it: same creation, same session, never written
         * since (we never set data, so a write is someone else's, possibly made before the watch was in place).
         */
        boolean isOurs(Stat stat) {
            return stat != null && stat.getCzxid() == czxid && stat.getEphemeralOwner() == sessionId
                    && stat.getMzxid() == czxid;
        }

        /** Sends the exists that checks the node and (re-)arms the watch on it; {@code then} gets the reply. */
        void check(Consumer<Reply> then) {
            check(then, true);
        }

        /**
         * As {@link #check(Consumer)}; after a connection loss the check is sent once more on the same handle, which
         * queues it until the client reconnects: it then answers for the same session, or SESSIONEXPIRED (a session
         * loss, not an outage), within the caller's deadline.
         */
        private void check(Consumer<Reply> then, boolean again) {
            zk.exists(path, this, (rc, p, ctx, stat) -> {
                Reply reply = new Reply(rc, stat, null);
                if (again && reply.code() == KeeperException.Code.CONNECTIONLOSS && zk.getState().isAlive()) {
                    check(then, false);
                    return;
                }
                checked(this, reply);
                if (then != null) {
                    then.accept(reply);
                }
            }, null);
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() == Event.EventType.None) {
                // Connection and session events are handled through the Curator state listener.
                return;
            }
            nodeGone(this, event.getType() == Event.EventType.NodeDeleted ? "deleted" : "changed ("
                    + event.getType() + ")");
        }
    }

    /**
     * A node that may exist without a handle (unknown outcome): delete it once we can, if it still is ours. At most
     * one clean-up per orphan is in flight; a request for another while one runs is remembered and run after it.
     */
    private static final class Orphan {
        final String path;
        final byte[] owner;
        final long sessionId;
        final ZooKeeper zk;
        /** The node's czxid when known (a release's node), 0 when the create's answer never came. */
        final long czxid;
        final String id;
        final AtomicBoolean running = new AtomicBoolean();
        volatile boolean again;
        /** Completed when the orphan is done with: OK if we deleted its node, else why there was nothing to delete. */
        final CompletableFuture<KeeperException.Code> done = new CompletableFuture<>();

        Orphan(String path, byte[] owner, long sessionId, ZooKeeper zk, long czxid) {
            this.path = path;
            this.owner = owner;
            this.sessionId = sessionId;
            this.zk = zk;
            this.czxid = czxid;
            this.id = path + '\n' + new String(owner, StandardCharsets.UTF_8);
        }

        Orphan(Held entry) {
            this(entry.path, entry.ownerBytes, entry.sessionId, entry.zk, entry.czxid);
        }
    }

    /**
     * @param client a started client
     * @param ownsClient whether {@link #close()} closes the client
     * @param rootPath where the {@code locks} parent lives, e.g. {@code /distlock}, below the client's Curator namespace
     * @param acl the ACL of lock nodes and the parents made for them
     * @param timeout the bound of every call
     */
    ZooKeeperLockBackend(CuratorFramework client, boolean ownsClient, String rootPath, List<ACL> acl,
                         Duration timeout) {
        this.client = client;
        this.ownsClient = ownsClient;
        String namespacePath = ZooKeeperCalls.namespacePath(client);
        // Levels of the Curator namespace are made PERSISTENT, as Curator itself makes them; ours are containers.
        this.namespaceLevels = ZooKeeperCalls.levels(namespacePath);
        this.locksPath = namespacePath + ("/".equals(rootPath) ? "" : rootPath) + "/locks";
        this.acl = List.copyOf(acl);
        this.calls = new ZooKeeperCalls(client, timeout, locksPath);
        this.description = calls.description();
        client.getConnectionStateListenable().addListener(stateListener);
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public void setLossListener(LossListener listener) {
        this.lossListener = listener;
    }

    @Override
    public boolean needsRenewal() {
        // The session keeps the node; the "renewal" is the check that gives isHeld() its local deadline (see above).
        return true;
    }

    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease) {
        return tryAcquire(key, owner, lease, calls.deadline());
    }

    /** One create, bounded by {@code deadlineNanos} (what is left of a bounded wait) and the operation timeout. */
    @Override
    public AcquireResult tryAcquire(String key, String owner, Duration lease, long deadlineNanos) {
        long deadline = Math.min(deadlineNanos, calls.deadline());
        String path = pathOf(key);
        byte[] data = owner.getBytes(StandardCharsets.UTF_8);
        for (int attempt = 1; ; attempt++) {
            ZooKeeper zk = calls.connectedHandle(deadline, what(ACQUIRING, key));
            long generation = sessionGeneration.get();
            Held entry = new Held(key, owner, data, path, zk.getSessionId(), zk);
            CompletableFuture<Reply> future = new CompletableFuture<>();
            zk.create(path, data, acl, CreateMode.EPHEMERAL, (rc, p, ctx, name, stat) -> {
                Reply reply = new Reply(rc, stat, null);
                if (rc == KeeperException.Code.OK.intValue()) {
                    // Sent before anyone learns of the grant, so it precedes any release on this session.
                    entry.czxid = stat.getCzxid();
                    entry.check(null);
                }
                if (!future.complete(reply)) {
                    abandonedCreate(reply, entry);
                }
            }, null);
            Reply reply = calls.await(future, deadline, false, what(ACQUIRING, key));
            switch (reply.code()) {
                case OK:
                    return acquired(entry, reply.stat(), generation);
                case NODEEXISTS:
                    return AcquireResult.held();
                case NONODE:
                    if (attempt < MAX_CREATE_ATTEMPTS) {
                        calls.ensureParents(zk, locksPath, namespaceLevels, acl, deadline, what(ACQUIRING, key));
                        continue;
                    }
                    throw failure(what(ACQUIRING, key), reply, "its parent node keeps disappearing");
                case SESSIONEXPIRED:
                    // Certainly not applied: an expired session's requests are refused. Curator is replacing the
                    // session; try once more on the new one if the deadline allows.
                    if (attempt < MAX_CREATE_ATTEMPTS) {
                        continue;
                    }
                    throw failure(what(ACQUIRING, key), reply, null);
                case CONNECTIONLOSS:
                case OPERATIONTIMEOUT:
                case REQUESTTIMEOUT:
                    // The create may have been applied before the connection broke.
                    addOrphan(new Orphan(path, data, entry.sessionId, zk, 0));
                    throw failure(what(ACQUIRING, key), reply, "the outcome is unknown; a node it left is deleted "
                            + "once the session reconnects");
                default:
                    throw failure(what(ACQUIRING, key), reply, null);
            }
        }
    }

    /**
     * The create of {@link #tryAcquire(String, String, Duration, long)} without blocking: sent on the current session
     * and mapped to the outcome in its callback, on the ZooKeeper event thread, with the same session checks. A reply
     * after the deadline is handled as a blocking call's late reply is (its node becomes an orphan). The rare cases
     * that need a blocking step run the blocking form on the shared pool instead: no connection right now (waiting
     * for one), a missing parent (made level by level), and an expired session (retried on the next).
     */
    @Override
    public CompletionStage<AcquireResult> tryAcquireAsync(String key, String owner, Duration lease,
                                                          long deadlineNanos) {
        long deadline = Math.min(deadlineNanos, calls.deadline());
        ZooKeeper zk = client.getZookeeperClient().isConnected() ? calls.currentOrNull() : null;
        if (zk == null || !zk.getState().isConnected()) {
            return LockBackend.super.tryAcquireAsync(key, owner, lease, deadline);
        }
        String path = pathOf(key);
        byte[] data = owner.getBytes(StandardCharsets.UTF_8);
        long generation = sessionGeneration.get();
        Held entry = new Held(key, owner, data, path, zk.getSessionId(), zk);
        CompletableFuture<Reply> reply = new CompletableFuture<>();
        zk.create(path, data, acl, CreateMode.EPHEMERAL, (rc, p, ctx, name, stat) -> {
            Reply answer = new Reply(rc, stat, null);
            if (rc == KeeperException.Code.OK.intValue()) {
                entry.czxid = stat.getCzxid();
                entry.check(null);
            }
            if (!reply.complete(answer)) {
                abandonedCreate(answer, entry);
            }
        }, null);
        // The timer completes the reply first at the deadline; a later answer then goes to abandonedCreate.
        reply.completeOnTimeout(ZooKeeperCalls.TIMED_OUT, Math.max(0, deadline - System.nanoTime()),
                TimeUnit.NANOSECONDS);
        CompletableFuture<AcquireResult> result = new CompletableFuture<>();
        reply.thenAccept(answer -> {
            String what = what(ACQUIRING, key);
            if (answer == ZooKeeperCalls.TIMED_OUT) {
                result.completeExceptionally(calls.noAnswer(what));
                return;
            }
            try {
                switch (answer.code()) {
                    case OK -> result.complete(acquired(entry, answer.stat(), generation));
                    case NODEEXISTS -> result.complete(AcquireResult.held());
                    // Certainly not applied: the blocking form makes the parents or waits for the new session.
                    case NONODE, SESSIONEXPIRED -> LockBackend.super.tryAcquireAsync(key, owner, lease, deadline)
                            .whenComplete((outcome, error) -> {
                                if (error != null) {
                                    result.completeExceptionally(error);
                                } else {
                                    result.complete(outcome);
                                }
                            });
                    case CONNECTIONLOSS, OPERATIONTIMEOUT, REQUESTTIMEOUT -> {
                        addOrphan(new Orphan(path, data, entry.sessionId, zk, 0));
                        result.completeExceptionally(failure(what, answer, "the outcome is unknown; a node it left "
                                + "is deleted once the session reconnects"));
                    }
                    default -> result.completeExceptionally(failure(what, answer, null));
                }
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Accepts a successful create only if the session that made the node is still this client's session (curator
     * #727/#1121 are double grants from trusting a node whose session had already ended) and the watch has not
     * found the node gone already.
     */
    private AcquireResult acquired(Held entry, Stat stat, long generation) {
        held.put(entry.key, entry);
        // Registered first, checked second: a session loss or a deletion after these checks finds the entry and
        // reports it.
        if (stat.getEphemeralOwner() == entry.sessionId && sessionGeneration.get() == generation
                && entry.zk.getState().isConnected() && calls.isCurrent(entry.zk)) {
            if (!entry.gone) {
                return AcquireResult.acquired(stat.getCzxid());
            }
            held.remove(entry.key, entry);
            throw new LockBackendException("acquiring lock '" + entry.key + "' on " + description + ": its node was "
                    + "deleted by another session right after it was created; not acquired");
        }
        held.remove(entry.key, entry);
        addOrphan(new Orphan(entry));
        throw new LockBackendException("acquiring lock '" + entry.key + "' on " + description + ": the ZooKeeper "
                + "session 0x" + Long.toHexString(entry.sessionId) + " ended while the lock node was created; not "
                + "acquired");
    }

    @Override
    public boolean release(String key, String owner) {
        Held entry = held.get(key);
        if (entry == null || !entry.owner.equals(owner)) {
            return releaseOrphan(key, owner);
        }
        if (!held.remove(key, entry)) {
            return false;
        }
        if (entry.gone) {
            // Reported lost: whatever node is at the path now is someone else's.
            return false;
        }
        if (entry.zk.getSessionId() != entry.sessionId || !entry.zk.getState().isAlive()) {
            // The session is over: its ephemeral node is gone or goes with it. Nothing to send.
            return false;
        }
        long deadline = calls.deadline();
        CompletableFuture<Reply> future = new CompletableFuture<>();
        Orphan orphan = new Orphan(entry);
        Consumer<KeeperException.Code> done = code -> {
            if (!future.complete(new Reply(code.intValue(), null, null)) && isUncertain(code)) {
                addOrphan(orphan);
            }
        };
        if (entry.confirmed) {
            // Ours, and watched: a deletion behind our back would have been delivered before this point, and the
            // version is ours as we never set data. Sent on the creating session's handle even while it reconnects:
            // the request is queued, and a dead session fails it instead of replaying it on a new session.
            entry.zk.delete(entry.path, CREATED_VERSION,
                    (rc, p, ctx) -> done.accept(KeeperException.Code.get(rc)), null);
        } else {
            deleteIfOurs(entry.zk, entry.path, entry.czxid, entry.sessionId, entry.ownerBytes, done);
        }
        // Uninterruptible: a release must complete even when the releasing thread is interrupted.
        Reply reply = calls.await(future, deadline, true, what(RELEASING, key));
        switch (reply.code()) {
            case OK:
                return true;
            case NONODE:
            case BADVERSION:
            case SESSIONEXPIRED:
                return false;
            case CONNECTIONLOSS:
            case OPERATIONTIMEOUT:
            case REQUESTTIMEOUT:
                addOrphan(orphan);
                throw failure(what(RELEASING, key), reply, "the node is deleted once the session reconnects, or "
                        + "goes when it expires");
            default:
                throw failure(what(RELEASING, key), reply, null);
        }
    }

    /**
     * The release of an owner we hold no node for: the core's compensating release after an acquisition that failed
     * with an unknown outcome. Such a create is always recorded as an orphan (at once, or by its late reply), so this
     * runs that orphan's clean-up, through the same single-flight path as every other clean-up (two deletes of one
     * node in flight at once are what removes a successor's node), and waits for it until the operation timeout.
     * Nothing recorded: the owner is another's (another process or manager, whose lock an operator force-releases),
     * or ours with a create still in flight; {@link #releaseForeign} deletes its node if the node carries the owner.
     */
    private boolean releaseOrphan(String key, String owner) {
        Orphan orphan = orphans.get(pathOf(key) + '\n' + owner);
        if (orphan == null) {
            return releaseForeign(key, owner);
        }
        if (orphan.zk.getState().isConnected()) {
            cleanOrphan(orphan);
        }
        KeeperException.Code code = BoundedAwait.until(orphan.done, calls.deadline(), BoundedAwait.Interrupts.FINISH,
                new BoundedAwait.Failures() {
                    @Override
                    public LockBackendException timedOut(java.util.concurrent.TimeoutException e) {
                        return new LockBackendException(what(RELEASING, key) + " on " + description + ": the node "
                                + "left by an acquisition with unknown outcome could not be deleted yet; it is "
                                + "deleted once the session reconnects, or goes when it ends");
                    }

                    @Override
                    public LockBackendException interrupted(InterruptedException e) {
                        return new LockBackendException(what(RELEASING, key) + ": interrupted", e);
                    }

                    @Override
                    public LockBackendException failed(Throwable cause) {
                        return new LockBackendException(what(RELEASING, key) + ": " + cause, cause);
                    }
                });
        return code == KeeperException.Code.OK;
    }

    /**
     * Confirms with one round trip that the held node is still ours (same czxid, same live session) and re-arms its
     * watch. The core counts the handle's local deadline from it.
     */
    @Override
    public boolean renew(String key, String owner, Duration lease) {
        RenewalResult result = renewAll(List.of(new Renewal(key, owner)), lease, calls.deadline()).get(0);
        if (result.status() == RenewalResult.Status.FAILED) {
            throw result.cause() instanceof LockBackendException e ? e
                    : new LockBackendException(what(RENEWING, key) + " on " + description + ": " + result.cause(),
                    result.cause());
        }
        return result.status() == RenewalResult.Status.RENEWED;
    }

    /**
     * Confirms the batch's held nodes with one request per session, plus one per node its watch has not confirmed
     * yet, all sent at once, then collects the answers until the deadline. The core calls this every third of the
     * lease.
     *
     * <p>A node confirmed by its watch needs no request of its own: any deletion or change of it is delivered to its
     * watcher, and ZooKeeper delivers a session's notifications before the replies to its later requests. So when any
     * request sent on the session now is answered, every confirmed node of that session either is still ours or has
     * been reported gone; and the answer shows the session alive after the send time, which is what the local
     * deadline of {@code isHeld()} counts from. A node not yet confirmed (its watch's {@code exists} still in flight,
     * or it found a czxid that is not ours) is checked on its own as before, which also arms its watch.
     */
    @Override
    public List<RenewalResult> renewAll(List<Renewal> renewals, Duration lease, long deadlineNanos) {
        long deadline = Math.min(deadlineNanos, calls.deadline());
        List<Held> entries = new ArrayList<>(renewals.size());
        List<CompletableFuture<Reply>> replies = new ArrayList<>(renewals.size());
        // One probe per session handle; identity, since a handle is one session.
        java.util.Map<ZooKeeper, CompletableFuture<Reply>> probes = new java.util.IdentityHashMap<>();
        for (Renewal renewal : renewals) {
            Held entry = held.get(renewal.key());
            if (entry == null || !entry.owner.equals(renewal.owner()) || entry.gone) {
                entries.add(null);
                replies.add(null);
                continue;
            }
            if (!entry.zk.getState().isAlive() || entry.zk.getSessionId() != entry.sessionId) {
                // Its session is over (the state listener may not have run yet): the node went with it.
                sessionEnded(entry);
                entries.add(null);
                replies.add(null);
                continue;
            }
            CompletableFuture<Reply> future;
            if (entry.confirmed) {
                future = probes.computeIfAbsent(entry.zk, this::probe);
            } else {
                future = new CompletableFuture<>();
                entry.check(future::complete);
            }
            entries.add(entry);
            replies.add(future);
        }
        List<RenewalResult> results = new ArrayList<>(renewals.size());
        for (int i = 0; i < renewals.size(); i++) {
            Held entry = entries.get(i);
            if (entry == null) {
                results.add(RenewalResult.notOwner());
                continue;
            }
            String what = what(RENEWING, entry.key);
            try {
                Reply reply = calls.await(replies.get(i), deadline, false, what);
                if (reply == ZooKeeperCalls.TIMED_OUT) {
                    // A probe shared with a renewal whose wait already gave up on it.
                    results.add(RenewalResult.failed(calls.noAnswer(what)));
                    continue;
                }
                results.add(switch (reply.code()) {
                    // checked(...) has already reported a node that is not ours any more.
                    case OK, NONODE -> !entry.gone && held.get(entry.key) == entry ? RenewalResult.renewed()
                            : RenewalResult.notOwner();
                    case SESSIONEXPIRED -> {
                        sessionEnded(entry);
                        yield RenewalResult.notOwner();
                    }
                    default -> RenewalResult.failed(failure(what, reply, null));
                });
            } catch (LockBackendException e) {
                results.add(RenewalResult.failed(e));
            }
        }
        return results;
    }

    /**
     * The most held nodes one {@link #renewAll} confirms: they cost one request per session however many, so a large
     * batch keeps the requests per third of a lease at about one per thousand held locks.
     */
    @Override
    public int renewalBatchSize() {
        return 1000;
    }

    /**
     * A cheap read on the session of {@code zk} (an {@code exists} of the locks parent, no watch) whose answer shows
     * the session alive; after a connection loss it is sent once more on the same handle, as a node's check is.
     */
    private CompletableFuture<Reply> probe(ZooKeeper zk) {
        CompletableFuture<Reply> future = new CompletableFuture<>();
        probe(zk, future, true);
        return future;
    }

    private void probe(ZooKeeper zk, CompletableFuture<Reply> future, boolean again) {
        zk.exists(locksPath, false, (rc, p, ctx, stat) -> {
            if (again && rc == KeeperException.Code.CONNECTIONLOSS.intValue() && zk.getState().isAlive()) {
                probe(zk, future, false);
                return;
            }
            future.complete(new Reply(rc, stat, null));
        }, null);
    }

    @Override
    public Subscription subscribe(String key, Runnable onRelease) {
        Waiter waiter = new Waiter(onRelease);
        PathWatch watch = pathWatches.compute(pathOf(key), (path, current) -> {
            PathWatch shared = current != null ? current : new PathWatch(path);
            shared.waiters.add(waiter);
            waiter.watch = shared;
            return shared;
        });
        // Sent for every waiting call but not waited for: the core's create follows on the same session, and
        // ZooKeeper keeps a session's order. The same Watcher object each time, so the client keeps it once.
        watch.arm();
        return waiter;
    }

    /** {@link #subscribe(String, Runnable)} sends its watch without waiting for the answer, so it never blocks. */
    @Override
    public CompletionStage<Subscription> subscribeAsync(String key, Runnable onRelease, long deadlineNanos) {
        try {
            return CompletableFuture.completedFuture(subscribe(key, onRelease));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Closes the backend. An owned client is closed, which ends the session and with it every node left. A caller's
     * client and its session outlive us, so nodes we may have left (orphans, and locks the core could not release)
     * would keep their keys locked as long as that session: their conditional deletes are sent now and awaited up to
     * the operation timeout, and if the client is not connected, the state listener stays until the same session
     * reconnects (and deletes them) or ends (and takes them along).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        pathWatches.values().forEach(watch -> watch.waiters.forEach(Waiter::close));
        if (ownsClient) {
            client.getConnectionStateListenable().removeListener(stateListener);
            // Closing the session deletes whatever ephemeral nodes are left (e.g. orphans) at once. The client's
            // request timeout is the operation timeout (see ZooKeeperClientBuilder), so a server that accepts but
            // never answers holds the close-session request that long, not a whole session timeout; and since the
            // core may already have spent an operation timeout on releases, close() waits for it only a quarter of
            // that and lets it finish on its own thread.
            ZooKeeperClientBuilder.closeWithin(client, calls.timeout().dividedBy(4));
            return;
        }
        long deadline = calls.deadline();
        held.forEach((key, entry) -> {
            if (held.remove(key, entry) && !entry.gone) {
                addOrphan(new Orphan(entry));
            }
        });
        orphans.values().forEach(orphan -> {
            if (orphan.zk.getState().isConnected()) {
                cleanOrphan(orphan);
            }
        });
        synchronized (orphans) {
            boolean interrupted = false;
            long remaining;
            while (!orphans.isEmpty() && client.getZookeeperClient().isConnected()
                    && (remaining = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(orphans, remaining);
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (!orphans.isEmpty()) {
                log.warn("closing the lock backend on {}: {} lock nodes could not be deleted yet; they are deleted "
                        + "once the session reconnects, or go when it ends", description, orphans.size());
            }
            detachIfDone();
        }
    }

    // ---- held nodes: what the watch and the checks find ----

    /** Handles the reply to a check of a held node: confirms it, or reports it gone. */
    private void checked(Held entry, Reply reply) {
        switch (reply.code()) {
            case OK -> {
                if (entry.isOurs(reply.stat())) {
                    entry.confirmed = true;
                } else {
                    nodeGone(entry, reply.stat().getCzxid() == entry.czxid ? "overwritten"
                            : "replaced by another session's node");
                }
            }
            case NONODE -> nodeGone(entry, "deleted");
            // Anything else says nothing about the node: the next check (a third of a lease later) asks again.
            default -> { }
        }
    }

    /** Reports a held node that someone else deleted or changed, once; its release then sends nothing. */
    private void nodeGone(Held entry, String what) {
        entry.gone = true;
        if (held.remove(entry.key, entry)) {
            log.warn("the node {} of lock '{}' (token {}) was {} behind its holder's back; the lock is lost",
                    entry.path, entry.key, entry.czxid, what);
            lossListener.lost(entry.key, entry.owner, LockLoss.Reason.NOT_OWNER, null);
        }
    }

    /** A check found the entry's session expired: report it for this entry now (the state listener does the rest). */
    private void sessionEnded(Held entry) {
        if (held.remove(entry.key, entry)) {
            lossListener.lost(entry.key, entry.owner, LockLoss.Reason.SESSION_LOST,
                    new KeeperException.SessionExpiredException());
        }
    }

    /**
     * Reads the node at {@code path} and deletes it (at the version read) only if it is the one described: created by
     * {@code sessionId} (any session for {@link #ANY_SESSION}) with this {@code czxid}, or, when the czxid is unknown
     * (0), carrying this owner id. Reports the delete's result code, NONODE when the node is gone or another's, or the
     * read's error. One read-then-delete per path at a time (see {@link #conditionalDeletes}).
     */
    private void deleteIfOurs(ZooKeeper zk, String path, long czxid, long sessionId, byte[] owner,
                              Consumer<KeeperException.Code> done) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> before = conditionalDeletes.put(path, mine);
        Runnable send = () -> readAndDelete(zk, path, czxid, sessionId, owner, code -> {
            conditionalDeletes.remove(path, mine);
            mine.complete(null);
            done.accept(code);
        });
        if (before == null) {
            send.run();
        } else {
            // ZooKeeper always answers (at worst CONNECTIONLOSS or SESSIONEXPIRED), so the one before always ends.
            before.whenComplete((ignored, error) -> send.run());
        }
    }

    private static void readAndDelete(ZooKeeper zk, String path, long czxid, long sessionId, byte[] owner,
                                      Consumer<KeeperException.Code> done) {
        zk.getData(path, false, (rc, p, ctx, data, stat) -> {
            KeeperException.Code code = KeeperException.Code.get(rc);
            if (code != KeeperException.Code.OK) {
                done.accept(code);
                return;
            }
            boolean ours = (sessionId == ANY_SESSION || stat.getEphemeralOwner() == sessionId)
                    && (czxid != 0 ? stat.getCzxid() == czxid : Arrays.equals(data, owner));
            if (!ours) {
                done.accept(KeeperException.Code.NONODE);
                return;
            }
            zk.delete(path, stat.getVersion(), (deleteRc, dp, dctx) -> done.accept(KeeperException.Code.get(deleteRc)),
                    null);
        }, null);
    }

    /**
     * The release of an owner this backend holds no node of: typically an operator's force-release of another
     * process's lock. The node is read and deleted at the version read only if its data is {@code owner} (owners are
     * unique per acquisition, so that is the grant asked for). Its holder's watch then reports the loss. The one
     * window left is the general one of a conditional delete in ZooKeeper: the holder releases and another client
     * takes the key within the round trip between our read and our delete.
     */
    private boolean releaseForeign(String key, String owner) {
        String what = what(RELEASING, key);
        long deadline = calls.deadline();
        ZooKeeper zk = calls.connectedHandle(deadline, what);
        CompletableFuture<Reply> future = new CompletableFuture<>();
        deleteIfOurs(zk, pathOf(key), 0, ANY_SESSION, owner.getBytes(StandardCharsets.UTF_8),
                code -> future.complete(new Reply(code.intValue(), null, null)));
        Reply reply = calls.await(future, deadline, true, what);
        return switch (reply.code()) {
            case OK -> true;
            case NONODE, BADVERSION -> false;
            default -> throw failure(what, reply, null);
        };
    }

    // ---- inspection ----

    /** One {@code getData}: the owner is the node's data, the token its czxid; the lease is the holder's session. */
    @Override
    public StoredLock read(String key, long deadlineNanos) {
        String what = what(READING, key);
        long deadline = Math.min(deadlineNanos, calls.deadline());
        ZooKeeper zk = calls.connectedHandle(deadline, what);
        Reply reply = calls.await(getData(zk, pathOf(key)), deadline, false, what);
        return switch (reply.code()) {
            case OK -> stored(key, reply);
            case NONODE -> null;
            default -> throw failure(what, reply, null);
        };
    }

    /**
     * Lists the children of the locks parent (one {@code getChildren}: ZooKeeper has no paged listing), keeps the
     * names of the prefix after the cursor in name order, and reads the page's nodes with pipelined {@code getData}s,
     * one round trip for the page. The cursor is the last node name of the page before.
     */
    @Override
    public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        String namePrefix = ZnodeNames.encode(keyPrefix);
        if (cursor != null && !isCursor(cursor, namePrefix)) {
            throw new IllegalArgumentException("not a cursor of this ZooKeeper lock listing: " + cursor);
        }
        String what = "listing locks '" + keyPrefix + "*'";
        long deadline = Math.min(deadlineNanos, calls.deadline());
        ZooKeeper zk = calls.connectedHandle(deadline, what);
        CompletableFuture<Reply> parent = new CompletableFuture<>();
        zk.exists(locksPath, false, (rc, p, ctx, stat) -> parent.complete(new Reply(rc, stat, null)), null);
        Reply parentReply = calls.await(parent, deadline, false, what);
        if (parentReply.code() == KeeperException.Code.NONODE) {
            return new Page(List.of(), null);
        }
        if (parentReply.code() != KeeperException.Code.OK) {
            throw failure(what, parentReply, null);
        }
        int maxChildren = zk.getClientConfig().getInt(ZKConfig.JUTE_MAXBUFFER,
                ZKClientConfig.CLIENT_MAX_PACKET_LENGTH_DEFAULT) / LISTED_NAME_BYTES;
        int children = parentReply.stat().getNumChildren();
        if (children > maxChildren) {
            throw new LockBackendException(what + " on " + description + ": " + locksPath + " has " + children
                    + " lock nodes, more than one ZooKeeper reply can list safely (" + maxChildren + " at the client's "
                    + "jute.maxbuffer); read keys one by one, or raise jute.maxbuffer on the client and the servers");
        }
        CompletableFuture<List<String>> names = new CompletableFuture<>();
        zk.getChildren(locksPath, false, (rc, p, ctx, list) -> {
            if (rc == KeeperException.Code.OK.intValue()) {
                names.complete(list);
            } else if (rc == KeeperException.Code.NONODE.intValue()) {
                names.complete(List.of());
            } else {
                names.completeExceptionally(failure(what, new Reply(rc, null, null), null));
            }
        }, null);
        List<String> selected = new ArrayList<>();
        for (String name : calls.awaitValue(names, deadline, what)) {
            if (name.startsWith(namePrefix) && (cursor == null || name.compareTo(cursor) > 0)) {
                selected.add(name);
            }
        }
        Collections.sort(selected);
        boolean more = selected.size() > limit;
        List<String> page = more ? selected.subList(0, limit) : selected;
        List<CompletableFuture<Reply>> replies = new ArrayList<>(page.size());
        for (String name : page) {
            replies.add(getData(zk, locksPath + "/" + name));
        }
        List<StoredLock> locks = new ArrayList<>(page.size());
        for (int i = 0; i < page.size(); i++) {
            Reply reply = calls.await(replies.get(i), deadline, false, what);
            switch (reply.code()) {
                case OK -> locks.add(stored(ZnodeNames.decode(page.get(i)), reply));
                case NONODE -> { } // released since the listing
                default -> throw failure(what, reply, null);
            }
        }
        return new Page(locks, more ? page.get(page.size() - 1) : null);
    }

    /** Whether {@code cursor} is a node name this listing can have returned for names starting {@code namePrefix}. */
    private static boolean isCursor(String cursor, String namePrefix) {
        if (!cursor.startsWith(namePrefix)) {
            return false;
        }
        try {
            return ZnodeNames.encode(ZnodeNames.decode(cursor)).equals(cursor);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static CompletableFuture<Reply> getData(ZooKeeper zk, String path) {
        CompletableFuture<Reply> future = new CompletableFuture<>();
        zk.getData(path, false, (rc, p, ctx, data, stat) -> future.complete(new Reply(rc, stat, data)), null);
        return future;
    }

    private static StoredLock stored(String key, Reply reply) {
        String owner = reply.data() == null ? "" : new String(reply.data(), StandardCharsets.UTF_8);
        // The session is the lease: the node lives as long as its holder's session, however long that is.
        return new StoredLock(key, owner, reply.stat().getCzxid(), -1);
    }

    // ---- sessions ----

    private void stateChanged(ConnectionState state) {
        switch (state) {
            case LOST -> {
                sessionLost();
                orphansChanged();
            }
            case CONNECTED, RECONNECTED -> connected();
            case SUSPENDED -> log.debug("ZooKeeper connection suspended ({}); {} locks held until the session is lost",
                    description, held.size());
            default -> { }
        }
    }

    private void sessionLost() {
        sessionGeneration.incrementAndGet();
        // Orphans belong to the ended session; their nodes go with it.
        orphans.values().forEach(orphan -> orphan.done.complete(KeeperException.Code.SESSIONEXPIRED));
        orphans.clear();
        List<Held> lost = new ArrayList<>();
        held.forEach((key, entry) -> {
            if (held.remove(key, entry)) {
                lost.add(entry);
            }
        });
        if (!lost.isEmpty()) {
            log.warn("ZooKeeper session lost ({}): {} held locks are lost", description, lost.size());
        }
        report(lost);
        // Waiters try again: they then wait for the new session, or fail with LockBackendException in time.
        pathWatches.values().forEach(watch -> {
            watch.retireIfIdle();
            watch.signalAll();
        });
    }

    private void connected() {
        long sessionId = calls.currentSessionId();
        // A LOST event can be missed (Curator drops the oldest queued state when its queue is full), so compare ids.
        List<Held> lost = new ArrayList<>();
        held.forEach((key, entry) -> {
            if (entry.sessionId != sessionId && held.remove(key, entry)) {
                lost.add(entry);
            }
        });
        if (!lost.isEmpty()) {
            sessionGeneration.incrementAndGet();
            log.warn("ZooKeeper reconnected on a new session ({}): {} held locks are lost", description, lost.size());
        }
        report(lost);
        orphans.values().forEach(this::cleanOrphan);
        // Watches of the old session are gone; same-session watches are restored by the client, re-arming is cheap.
        ZooKeeper current = calls.currentOrNull();
        pathWatches.values().forEach(watch -> {
            if (watch.armedOn != current && watch.retireIfIdle()) {
                return;
            }
            if (!watch.waiters.isEmpty()) {
                watch.arm();
                watch.signalAll();
            }
        });
    }

    private void report(List<Held> lost) {
        if (lost.isEmpty()) {
            return;
        }
        KeeperException cause = new KeeperException.SessionExpiredException();
        for (Held entry : lost) {
            lossListener.lost(entry.key, entry.owner, LockLoss.Reason.SESSION_LOST, cause);
        }
    }

    // ---- orphans: nodes of ours whose create or delete had an unknown outcome ----

    private void abandonedCreate(Reply reply, Held entry) {
        if (reply.code() == KeeperException.Code.OK) {
            // The caller already gave up (timeout) and reported failure: the node must not stay.
            addOrphan(new Orphan(entry));
        } else if (isUncertain(reply.code())) {
            addOrphan(new Orphan(entry.path, entry.ownerBytes, entry.sessionId, entry.zk, 0));
        }
    }

    private void addOrphan(Orphan candidate) {
        Orphan orphan;
        synchronized (orphans) {
            if (closed.get()) {
                if (ownsClient) {
                    return; // closing the client ended the session, and the node with it
                }
                // A late reply after close on a caller's client, whose session lives on: clean up on reconnect too.
                client.getConnectionStateListenable().addListener(stateListener);
            }
            Orphan existing = orphans.putIfAbsent(candidate.id, candidate);
            orphan = existing != null ? existing : candidate;
        }
        if (orphan.zk.getState().isConnected()) {
            cleanOrphan(orphan);
        }
    }

    /**
     * Deletes the orphan's node if it still is ours. Single-flight: two clean-ups of one orphan in flight at once
     * could each read our node, and the second delete (at version 0, like every fresh node) would then remove a
     * successor's node created between the two; so a clean-up asked for while one runs only runs after it.
     */
    private void cleanOrphan(Orphan orphan) {
        if (orphan.zk.getSessionId() != orphan.sessionId || !orphan.zk.getState().isAlive()) {
            orphanDone(orphan, KeeperException.Code.SESSIONEXPIRED);
            return;
        }
        if (!orphan.running.compareAndSet(false, true)) {
            orphan.again = true;
            return;
        }
        orphan.again = false;
        deleteIfOurs(orphan.zk, orphan.path, orphan.czxid, orphan.sessionId, orphan.owner, code -> {
            orphan.running.set(false);
            if (!isUncertain(code)) {
                // Deleted, or gone, or another owner's: nothing of ours left there.
                log.debug("orphaned lock node {}: {}", orphan.path, code);
                orphanDone(orphan, code);
            } else if (orphan.again && orphan.zk.getState().isConnected()) {
                cleanOrphan(orphan);
            }
            // Otherwise the next reconnect of the same session asks again.
        });
    }

    private void orphanDone(Orphan orphan, KeeperException.Code code) {
        orphans.remove(orphan.id, orphan);
        orphan.done.complete(code);
        orphansChanged();
    }

    /** After close, wakes {@link #close()} waiting for the orphans, and lets the client go once none are left. */
    private void orphansChanged() {
        if (closed.get()) {
            synchronized (orphans) {
                orphans.notifyAll();
                detachIfDone();
            }
        }
    }

    /** Called holding the {@code orphans} monitor, so that no orphan is added between the check and the removal. */
    private void detachIfDone() {
        if (closed.get() && orphans.isEmpty()) {
            client.getConnectionStateListenable().removeListener(stateListener);
        }
    }

    private static boolean isUncertain(KeeperException.Code code) {
        return ZooKeeperCalls.isUncertain(code);
    }

    // ---- plumbing ----

    private String pathOf(String key) {
        return locksPath + "/" + ZnodeNames.encode(key);
    }

    /** The start of every message about {@code key}: e.g. {@code acquiring lock 'k'}. */
    private static String what(String doing, String key) {
        return doing + " lock '" + key + "'";
    }

    private LockBackendException failure(String what, Reply reply, String detail) {
        return calls.failure(what, reply, detail);
    }

    /**
     * The watch on one lock node, shared by every waiting call of this backend on that key. ZooKeeper's client keeps a
     * registered {@link Watcher} object until the node next changes, however briefly its caller waited; one object per
     * path (the client keeps a set per path) keeps that to one entry per watched key, not one per waiting call. Every
     * waiting call still sends its own {@code exists} with this object, ahead of its create, so the watch is in place
     * before that create is processed. The entry stays in {@link #pathWatches} while the client may hold it and leaves
     * at the next event with no waiter left (or when its session ends), so a new object for the path is only made once
     * the client has dropped the old one.
     */
    private final class PathWatch implements Watcher {
        private final String path;
        private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
        /** The handle the watch was last sent on: on a new session, an idle watch of the old one is forgotten. */
        private volatile ZooKeeper armedOn;

        PathWatch(String path) {
            this.path = path;
        }

        void arm() {
            ZooKeeper zk;
            try {
                zk = client.getZookeeperClient().getZooKeeper();
            } catch (Exception e) {
                // No session right now: the waiters' next attempt reports the outage; a reconnect re-arms us.
                signalAll();
                return;
            }
            armedOn = zk;
            zk.exists(path, this, (rc, p, ctx, stat) -> {
                // NONODE: the key is free now (a release may have happened between an event and this re-arm).
                // Errors: wake the waiters so that their next attempt reports the problem. Both may be spurious.
                if (rc != KeeperException.Code.OK.intValue()) {
                    signalAll();
                }
            }, null);
        }

        void signalAll() {
            waiters.forEach(Waiter::signal);
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() == Event.EventType.None) {
                // Connection events come through the Curator state listener; an ended handle dropped its watches.
                Event.KeeperState state = event.getState();
                if (state == Event.KeeperState.Expired || state == Event.KeeperState.Closed) {
                    retireIfIdle();
                }
                return;
            }
            // The client dropped this watcher for the path when it delivered the event.
            if (retireIfIdle() || waiters.isEmpty() || closed.get()) {
                return;
            }
            signalAll();
            arm();
        }

        /** Forgets this watch if nobody waits on it, atomically with {@code subscribe}; true if it was forgotten. */
        boolean retireIfIdle() {
            boolean[] retired = {false};
            pathWatches.computeIfPresent(path, (p, current) -> {
                if (current == this && waiters.isEmpty()) {
                    retired[0] = true;
                    return null;
                }
                return current;
            });
            return retired[0];
        }
    }

    /** One waiting call's subscription to the shared watch of its key. */
    private static final class Waiter implements Subscription {
        private final Runnable onRelease;
        private PathWatch watch;
        private volatile boolean closed;

        Waiter(Runnable onRelease) {
            this.onRelease = onRelease;
        }

        void signal() {
            if (!closed) {
                onRelease.run();
            }
        }

        @Override
        public void close() {
            // The shared watch stays registered until the node next changes; then it is forgotten if still idle.
            closed = true;
            watch.waiters.remove(this);
        }
    }
}
