package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.spi.BoundedAwait;
import org.apache.curator.CuratorZookeeperClient;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounded ZooKeeper requests, shared by the lock backend and the record store: the current session's raw handle
 * (waiting for a connection only until the caller's deadline), async replies awaited until that deadline, and errors
 * turned into {@link LockBackendException}s that say what was being done, where, and why. Requests bypass Curator's
 * retry loop, which would wait up to its connection timeout per call and retry on a new session behind our back.
 *
 * <p>{@code what} in every method is the caller's description of the operation, e.g. {@code acquiring lock 'k'}; it
 * starts every message. Thread safe.
 */
final class ZooKeeperCalls {

    /** Stands in for a reply that came too late: whoever completes the future first decides who handles the reply. */
    static final Reply TIMED_OUT = new Reply(Integer.MIN_VALUE, null, null);
    private static final byte[] NO_DATA = new byte[0];

    private final CuratorFramework client;
    private final Duration timeout;
    private final long timeoutNanos;
    private final String description;

    /** A ZooKeeper async reply: result code and, where the call returns them, the stat and data. */
    record Reply(int rc, Stat stat, byte[] data) {
        KeeperException.Code code() {
            return KeeperException.Code.get(rc);
        }
    }

    /**
     * @param client a started client
     * @param timeout the bound of every operation
     * @param path what the caller works on below the client's namespace, for messages (e.g. {@code /distlock/locks})
     */
    ZooKeeperCalls(CuratorFramework client, Duration timeout, String path) {
        this.client = client;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.description = client.getZookeeperClient().getCurrentConnectionString() + path;
    }

    /** The absolute path of the client's Curator namespace, e.g. {@code /app}, or empty without one. */
    static String namespacePath(CuratorFramework client) {
        String namespace = client.getNamespace();
        return namespace == null || namespace.isEmpty() ? "" : "/" + namespace;
    }

    /** How many levels {@code absolutePath} has, e.g. 2 for {@code /a/b}, 0 for the empty string. */
    static int levels(String absolutePath) {
        return absolutePath.isEmpty() ? 0 : absolutePath.split("/").length - 1;
    }

    /** The ensemble and the caller's path, for messages. */
    String description() {
        return description;
    }

    Duration timeout() {
        return timeout;
    }

    /** The deadline of an operation that starts now. */
    long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    /** The current session's handle, waiting for the connection until {@code deadline}. */
    ZooKeeper connectedHandle(long deadline, String what) {
        CuratorZookeeperClient zookeeperClient = client.getZookeeperClient();
        if (!zookeeperClient.isConnected()) {
            checkAuthentication(what);
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            boolean connected;
            try {
                connected = remainingMs > 0 && client.blockUntilConnected((int) remainingMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LockBackendException(what + " on " + description
                        + ": interrupted while waiting for the ZooKeeper connection", e);
            } catch (RuntimeException e) {
                throw new LockBackendException(what + " on " + description + ": " + e, e);
            }
            if (!connected) {
                checkAuthentication(what);
                throw new LockBackendException(what + " on " + description
                        + ": not connected to ZooKeeper within the operation timeout " + timeout);
            }
        }
        return handle(what);
    }

    /**
     * Throws {@link LockConfigurationException} if the ensemble refused the authentication of the current session:
     * the client then never connects, and waiting for it would only end in a misleading timeout.
     */
    void checkAuthentication(String what) {
        ZooKeeper current = currentOrNull();
        if (current != null && current.getState() == ZooKeeper.States.AUTH_FAILED) {
            throw authFailed(what, new KeeperException.AuthFailedException());
        }
    }

    /** The current session's handle, connected or not. */
    ZooKeeper handle(String what) {
        try {
            return client.getZookeeperClient().getZooKeeper();
        } catch (Exception e) {
            throw new LockBackendException(what + " on " + description + ": " + e, e);
        }
    }

    /** Whether {@code zk} is the client's current handle. */
    boolean isCurrent(ZooKeeper zk) {
        // No current handle (closing, or between sessions) is certainly not the one asked about.
        ZooKeeper current = currentOrNull();
        return current != null && current == zk;
    }

    /** The client's current handle, or null when there is none (closing, or between sessions). */
    ZooKeeper currentOrNull() {
        try {
            return client.getZookeeperClient().getZooKeeper();
        } catch (Exception e) {
            return null;
        }
    }

    /** The current session id, or 0 when there is none. */
    long currentSessionId() {
        ZooKeeper current = currentOrNull();
        return current == null ? 0 : current.getSessionId();
    }

    /**
     * Waits for {@code future} until {@code deadline}. On timeout (or an interrupt of an interruptible wait) it
     * completes the future with {@link #TIMED_OUT} itself, so a reply arriving later is handled by the callback
     * (whose {@code complete} returns false), never lost; if the reply won that race, it is returned.
     */
    Reply await(CompletableFuture<Reply> future, long deadline, boolean uninterruptible, String what) {
        try {
            return BoundedAwait.until(future, deadline,
                    uninterruptible ? BoundedAwait.Interrupts.FINISH : BoundedAwait.Interrupts.ABORT,
                    new BoundedAwait.Failures() {
                        @Override
                        public LockBackendException timedOut(TimeoutException e) {
                            return noAnswer(what);
                        }

                        @Override
                        public LockBackendException interrupted(InterruptedException e) {
                            return new LockBackendException(what + " on " + description + ": interrupted", e);
                        }

                        @Override
                        public LockBackendException failed(Throwable cause) {
                            return new LockBackendException(what + " on " + description + ": " + cause, cause);
                        }
                    });
        } catch (LockBackendException e) {
            if (future.complete(TIMED_OUT)) {
                throw e;
            }
            // The reply arrived between the end of the wait and our claim on the future: it is the answer.
            return future.join();
        }
    }

    /** The failure of a call that got no answer by its deadline. */
    LockBackendException noAnswer(String what) {
        return new LockBackendException(what + " on " + description + ": no answer from ZooKeeper in time (the "
                + "operation timeout " + timeout + ", or what was left of a bounded wait)");
    }

    /**
     * Waits for a future of any value until {@code deadline}, interruptibly; a {@link LockBackendException} the
     * future failed with is thrown as it is. For reads, whose late replies need no handling.
     */
    <T> T awaitValue(CompletableFuture<T> future, long deadline, String what) {
        return BoundedAwait.until(future, deadline, BoundedAwait.Interrupts.ABORT, new BoundedAwait.Failures() {
            @Override
            public LockBackendException timedOut(TimeoutException e) {
                return new LockBackendException(what + " on " + description + ": no answer from ZooKeeper in time "
                        + "(the operation timeout " + timeout + ")");
            }

            @Override
            public LockBackendException interrupted(InterruptedException e) {
                return new LockBackendException(what + " on " + description + ": interrupted", e);
            }

            @Override
            public LockBackendException failed(Throwable cause) {
                return cause instanceof LockBackendException e ? e
                        : new LockBackendException(what + " on " + description + ": " + cause, cause);
            }
        });
    }

    /**
     * The exception for an unexpected reply, with the matching {@link KeeperException} as cause: a
     * {@link LockConfigurationException} when the ensemble answered but refused this client (its ACLs or its
     * authentication), whose message says so first; a plain {@link LockBackendException} otherwise.
     */
    LockBackendException failure(String what, Reply reply, String detail) {
        KeeperException cause = KeeperException.create(reply.code());
        switch (reply.code()) {
            case NOAUTH:
                return new LockConfigurationException("ZooKeeper refused access: the ACL of the lock nodes or of "
                        + "their parent does not allow this client's identity (its authorization) to do this; fix "
                        + "the ACL or the authorization" + (detail == null ? "" : " (" + detail + ")") + ". While "
                        + what + " on " + description + ": NOAUTH", cause);
            case AUTHFAILED:
                return authFailed(what, cause);
            default:
                return new LockBackendException(what + " on " + description + " failed: " + reply.code()
                        + (detail == null ? "" : "; " + detail), cause);
        }
    }

    /** ZooKeeper refused the authentication of the client's session: no request of that session can succeed. */
    LockConfigurationException authFailed(String what, Throwable cause) {
        return new LockConfigurationException("ZooKeeper rejected this client's authentication: check the "
                + "authorization scheme and credentials (or the TLS client certificate). While " + what + " on "
                + description + ": AUTHFAILED", cause);
    }

    /**
     * Creates the missing levels of {@code parentPath}: the first {@code persistentLevels} (those of a caller's
     * Curator namespace) PERSISTENT, as Curator itself makes them, the rest CONTAINERs, so the server removes them once
     * empty. Existing levels are fine.
     */
    void ensureParents(ZooKeeper zk, String parentPath, int persistentLevels, List<ACL> acl, long deadline,
                       String what) {
        String[] parts = parentPath.substring(1).split("/");
        // An empty container can be reaped between making (or finding) it and creating its child: start again from
        // the top then, a few times.
        for (int pass = 1; ; pass++) {
            StringBuilder path = new StringBuilder();
            boolean reaped = false;
            for (int i = 0; i < parts.length && !reaped; i++) {
                path.append('/').append(parts[i]);
                CreateMode mode = i < persistentLevels ? CreateMode.PERSISTENT : CreateMode.CONTAINER;
                CompletableFuture<Reply> future = new CompletableFuture<>();
                zk.create(path.toString(), NO_DATA, acl, mode,
                        (rc, p, ctx, name, stat) -> future.complete(new Reply(rc, stat, null)), null);
                Reply reply = await(future, deadline, false, what);
                if (reply.code() == KeeperException.Code.NONODE && i > 0 && pass < 3) {
                    reaped = true;
                } else if (reply.code() != KeeperException.Code.OK && reply.code() != KeeperException.Code.NODEEXISTS) {
                    throw failure(what, reply, "could not create parent " + path);
                }
            }
            if (!reaped) {
                return;
            }
        }
    }

    /** Whether a write with this result may or may not have been applied. */
    static boolean isUncertain(KeeperException.Code code) {
        return code == KeeperException.Code.CONNECTIONLOSS || code == KeeperException.Code.OPERATIONTIMEOUT
                || code == KeeperException.Code.REQUESTTIMEOUT;
    }
}
