package io.distlock.jdbc;

import io.distlock.spi.LockBackend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;

/**
 * Wakes the waiters of one backend when their key may have become free. On PostgreSQL one connection per manager
 * {@code LISTEN}s on a channel that every release notifies in the same statement (payload: the MD5 of the key);
 * elsewhere, and as the fallback, one thread re-checks all waited-for keys with one query per interval. Either way
 * the thread runs only while someone waits (plus a short linger), so an idle manager holds no extra connection.
 * After the listening connection is (re)established every waiter is woken once, so a release that happened while
 * nobody listened only costs a spurious attempt. Thread safe.
 */
final class ReleaseNotifications implements AutoCloseable {

    /** The PostgreSQL notification channel; a constant identifier, never user input. */
    static final String CHANNEL = "distlock_release";
    private static final Logger log = LoggerFactory.getLogger(ReleaseNotifications.class);
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int BATCH = 100;
    /**
     * How long a waiter's mark on its key's row lasts (µs); the listening thread extends the marks of the keys still
     * waited for every {@link #REFRESH_NANOS}, so a mark outlives its waiter (a crashed process) by at most this.
     */
    static final long MARK_US = TimeUnit.SECONDS.toMicros(30);
    private static final long REFRESH_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final DataSource dataSource;
    private final JdbcDialect dialect;
    private final boolean listen;
    private final long pollMillis;
    private final String description;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private Thread thread;
    private volatile boolean closed;

    private static final class Waiting {
        final byte[] key;
        final Set<Runnable> callbacks = new CopyOnWriteArraySet<>();

        Waiting(byte[] key) {
            this.key = key;
        }
    }

    /**
     * @param listen use {@code LISTEN/NOTIFY} (PostgreSQL with the pgjdbc driver); otherwise poll
     * @param poll the re-check interval while polling
     */
    ReleaseNotifications(DataSource dataSource, JdbcDialect dialect, boolean listen, Duration poll,
                         String description) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.listen = listen;
        this.pollMillis = Math.max(1, poll.toMillis());
        this.description = description;
    }

    static String hash(byte[] key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(key));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has MD5", e);
        }
    }

    LockBackend.Subscription subscribe(byte[] key, Runnable onRelease) {
        String hash = hash(key);
        synchronized (lifecycle) {
            if (closed) {
                return () -> { };
            }
            waiting.computeIfAbsent(hash, h -> new Waiting(key)).callbacks.add(onRelease);
            if (thread == null) {
                thread = new Thread(listen ? this::listenLoop : this::pollLoop, "distlock-jdbc-"
                        + (listen ? "listen" : "poll"));
                thread.setDaemon(true);
                thread.start();
            }
        }
        return () -> waiting.computeIfPresent(hash, (h, w) -> {
            w.callbacks.remove(onRelease);
            return w.callbacks.isEmpty() ? null : w;
        });
    }

    /** Whether waiters are woken by {@code LISTEN/NOTIFY}, which notifies only keys marked as waited for. */
    boolean listens() {
        return listen;
    }

    /** A release by this backend: wakes its own waiters at once, without waiting for the next poll. */
    void releasedLocally(byte[] key) {
        if (!listen) {
            wake(hash(key));
        }
    }

    private void wake(String hash) {
        Waiting w = waiting.get(hash);
        if (w != null) {
            w.callbacks.forEach(Runnable::run);
        }
    }

    private void wakeAll() {
        waiting.values().forEach(w -> w.callbacks.forEach(Runnable::run));
    }

    /** Whether the thread should end: closed, or nobody waited for a while. Clears {@link #thread} if so. */
    private boolean finished(long idleSince) {
        synchronized (lifecycle) {
            if (closed || (waiting.isEmpty() && System.nanoTime() - idleSince > LINGER_NANOS)) {
                thread = null;
                return true;
            }
            return false;
        }
    }

    private void listenLoop() {
        long idleSince = System.nanoTime();
        long backoff = 50;
        while (!finished(idleSince)) {
            try (Connection connection = dataSource.getConnection()) {
                connection.setAutoCommit(true);
                // A server paused while we (re)subscribe must not hang this thread; getNotifications has its own.
                JdbcCalls.boundNetwork(connection, 10_000);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("LISTEN " + CHANNEL);
                }
                backoff = 50;
                wakeAll();
                long refreshed = System.nanoTime();
                while (!finished(idleSince)) {
                    for (String payload : PgNotifications.receive(connection, 250)) {
                        wake(payload);
                    }
                    if (System.nanoTime() - refreshed > REFRESH_NANOS) {
                        refreshMarks(connection);
                        refreshed = System.nanoTime();
                    }
                    if (!waiting.isEmpty()) {
                        idleSince = System.nanoTime();
                    }
                }
                try (Statement statement = connection.createStatement()) {
                    statement.execute("UNLISTEN " + CHANNEL);
                }
            } catch (SQLException | RuntimeException e) {
                log.debug("release notifications on {} interrupted; reconnecting", description, e);
                // Waiters re-check on their own meanwhile; wake them so none waits for a notification lost here.
                wakeAll();
                sleep(backoff);
                backoff = Math.min(2000, backoff * 2);
            }
            if (!waiting.isEmpty()) {
                idleSince = System.nanoTime();
            }
        }
    }

    /** Extends the marks of every key still waited for, in batches, on the listening connection (autocommit). */
    private void refreshMarks(Connection connection) throws SQLException {
        List<Waiting> all = new ArrayList<>(waiting.values());
        for (int from = 0; from < all.size(); from += BATCH) {
            List<Waiting> batch = all.subList(from, Math.min(all.size(), from + BATCH));
            try (PreparedStatement statement = connection.prepareStatement(dialect.refreshWaiting(batch.size()))) {
                statement.setLong(1, MARK_US);
                for (int i = 0; i < batch.size(); i++) {
                    statement.setBytes(i + 2, batch.get(i).key);
                }
                statement.executeUpdate();
            }
        }
    }

    private void pollLoop() {
        long idleSince = System.nanoTime();
        while (!finished(idleSince)) {
            sleep(pollMillis);
            if (waiting.isEmpty()) {
                continue;
            }
            idleSince = System.nanoTime();
            List<Waiting> all = new ArrayList<>(waiting.values());
            for (int from = 0; from < all.size(); from += BATCH) {
                List<Waiting> batch = all.subList(from, Math.min(all.size(), from + BATCH));
                try {
                    wakeFree(batch);
                } catch (SQLException | RuntimeException e) {
                    // Waiters find the outage in their own attempts; nothing to report from here.
                    log.debug("re-checking waited-for keys on {} failed", description, e);
                    break;
                }
            }
        }
    }

    private void wakeFree(List<Waiting> batch) throws SQLException {
        Set<String> held = new HashSet<>();
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.getAutoCommit()) {
                connection.setAutoCommit(true);
            }
            try (PreparedStatement statement = connection.prepareStatement(dialect.heldAmong(batch.size()))) {
                for (int i = 0; i < batch.size(); i++) {
                    statement.setBytes(i + 1, batch.get(i).key);
                }
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        held.add(hash(rs.getBytes(1)));
                    }
                }
            }
        }
        for (Waiting w : batch) {
            String hash = hash(w.key);
            if (!held.contains(hash)) {
                wake(hash);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        Thread running;
        synchronized (lifecycle) {
            closed = true;
            running = thread;
        }
        if (running != null) {
            try {
                running.join(TimeUnit.SECONDS.toMillis(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        waiting.clear();
    }
}
