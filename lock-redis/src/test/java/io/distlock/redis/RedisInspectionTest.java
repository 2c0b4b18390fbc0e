package io.distlock.redis;

import io.distlock.spi.LockBackend;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The backend's {@link LockInspection} against a private redis-server: read and list return the whole stored owner,
 * the fencing token and the remaining lease; listing pages through SCAN with any limit and finds readable and encoded
 * keys alike; the owner-checked release the core uses for force-release frees another process's lock and wakes its
 * waiters elsewhere.
 */
@DisplayName("redis: inspection (read, list, force-release)")
class RedisInspectionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** A backend with its own client, as another process would have. */
    private static RedisLockBackend backend() {
        RedisConnection connection = new RedisConnection();
        connection.single(server.address());
        RedisConnection.Connected connected = connection.connect(TIMEOUT);
        return new RedisLockBackend(connected.client(), true, connected.failures(), TIMEOUT, Duration.ofMinutes(1),
                RedisLockBackend.ReplicaAcks.NONE);
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    /** An owner as the core makes them: 256 printable ASCII characters, with a description after the id. */
    private static String longOwner() {
        StringBuilder owner = new StringBuilder(UUID.randomUUID().toString().replace("-", "")).append(";m=host-1/4242;t=");
        for (char c = '!'; owner.length() < 256; c = c == '~' ? '!' : (char) (c + 1)) {
            owner.append(c);
        }
        return owner.toString();
    }

    @Test
    @DisplayName("read: the whole 256-character owner, the holding token, the lease left; null when free")
    void read() {
        try (RedisLockBackend redis = backend()) {
            String key = "inspect:read:" + UUID.randomUUID();
            String owner = longOwner();
            assertThat(owner).hasSize(256);
            assertThat(redis.read(key, deadline())).isNull();
            long token = redis.tryAcquire(key, owner, Duration.ofSeconds(30)).fencingToken();
            StoredLock lock = redis.read(key, deadline());
            assertThat(lock.key()).isEqualTo(key);
            assertThat(lock.owner()).isEqualTo(owner);
            assertThat(lock.fencingToken()).isEqualTo(token);
            assertThat(lock.leaseRemainingNanos()).isBetween(TimeUnit.SECONDS.toNanos(20), TimeUnit.SECONDS.toNanos(30));
            // The same owner string renews and releases: nothing shortened it on the way.
            assertThat(redis.renew(key, owner, Duration.ofSeconds(30))).isTrue();
            assertThat(redis.release(key, owner)).isTrue();
            assertThat(redis.read(key, deadline())).isNull();
        }
    }

    @Test
    @DisplayName("read: an encoded key (space, braces, unicode) reads like any other")
    void readEncoded() {
        try (RedisLockBackend redis = backend()) {
            String key = "inspect:odd {key} é " + UUID.randomUUID();
            assertThat(redis.tryAcquire(key, "o1", Duration.ofSeconds(30)).isAcquired()).isTrue();
            assertThat(redis.read(key, deadline())).extracting(StoredLock::owner).isEqualTo("o1");
            assertThat(server.cli("EXISTS", RedisKeyLayout.lockKey(key)).trim()).isEqualTo("1");
        }
    }

    @Test
    @DisplayName("list: every held key under the prefix exactly as stored, across pages of any size; free ones absent")
    void list() {
        try (RedisLockBackend redis = backend()) {
            String prefix = "inspect:list:" + UUID.randomUUID() + ":";
            Set<String> held = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                // Half readable, half encoded (a space makes the whole key encoded).
                String key = prefix + (i % 2 == 0 ? "job-" + i : "job " + i);
                assertThat(redis.tryAcquire(key, "owner-" + i, Duration.ofSeconds(30)).isAcquired()).isTrue();
                held.add(key);
            }
            String released = prefix + "released";
            redis.tryAcquire(released, "gone", Duration.ofSeconds(30));
            redis.release(released, "gone");
            // Noise: other prefixes, and keys that are not locks.
            redis.tryAcquire("inspect:other:" + UUID.randomUUID(), "x", Duration.ofSeconds(30));
            server.cli("SET", "unrelated:" + prefix, "1");
            // A key of the lock shape whose value is not ours: left out of listings, an error for read.
            server.cli("SET", RedisKeyLayout.lockKey(prefix + "foreign"), "not-ours", "PX", "60000");
            assertThatThrownBy(() -> redis.read(prefix + "foreign", deadline()))
                    .isInstanceOf(io.distlock.LockBackendException.class).hasMessageContaining("<token>:<owner>");
            for (int limit : new int[] {1, 3, 7, 1000}) {
                List<StoredLock> all = listAll(redis, prefix, limit);
                assertThat(all).extracting(StoredLock::key).containsExactlyInAnyOrderElementsOf(held);
                for (StoredLock lock : all) {
                    String n = lock.key().substring(prefix.length() + 4);
                    assertThat(lock.owner()).isEqualTo("owner-" + n);
                    assertThat(lock.fencingToken()).isPositive();
                    assertThat(lock.leaseRemainingNanos()).isPositive();
                }
            }
            // A prefix that is itself encoded (it has a space) lists only the encoded keys under it.
            assertThat(listAll(redis, prefix + "job ", 5)).extracting(StoredLock::key)
                    .containsExactlyInAnyOrderElementsOf(held.stream().filter(k -> k.contains(" ")).toList());
        }
    }

    /** Pages through a listing, checking each page's size and dropping repeats as the contract tells callers to. */
    private static List<StoredLock> listAll(RedisLockBackend redis, String prefix, int limit) {
        List<StoredLock> all = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            LockInspection.Page page = redis.list(prefix, cursor, limit, deadline());
            assertThat(page.locks().size()).isLessThanOrEqualTo(limit);
            page.locks().stream().filter(l -> keys.add(l.key())).forEach(all::add);
            cursor = page.nextCursor();
            assertThat(++pages).isLessThan(10_000);
        } while (cursor != null);
        return all;
    }

    @Test
    @DisplayName("list: a cursor this backend never gave is refused before anything is sent")
    void badCursor() {
        try (RedisLockBackend redis = backend()) {
            for (String bad : List.of("", "nonsense", "cjEKMAo", "!!!")) {
                assertThatThrownBy(() -> redis.list("", bad, 10, deadline()))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
            }
        }
    }

    @Test
    @DisplayName("force-release: release(key, owner) of another process's owner frees it and wakes its waiters")
    void releaseForeignOwner() throws Exception {
        try (RedisLockBackend holder = backend(); RedisLockBackend operator = backend();
             RedisLockBackend waiter = backend()) {
            String key = "inspect:force:" + UUID.randomUUID();
            String owner = longOwner();
            assertThat(holder.tryAcquire(key, owner, Duration.ofSeconds(60)).isAcquired()).isTrue();
            CountDownLatch woken = new CountDownLatch(1);
            try (LockBackend.Subscription ignored = waiter.subscribe(key, woken::countDown)) {
                StoredLock stored = operator.read(key, deadline());
                assertThat(operator.release(key, "someone-else")).isFalse();
                assertThat(operator.release(key, stored.owner())).isTrue();
                await().atMost(Duration.ofSeconds(5)).until(() -> woken.getCount() == 0);
            }
            assertThat(operator.read(key, deadline())).isNull();
            // The holder learns at its next renewal.
            assertThat(holder.renew(key, owner, Duration.ofSeconds(60))).isFalse();
            assertThat(waiter.tryAcquire(key, "next", Duration.ofSeconds(60)).isAcquired()).isTrue();
        }
    }

    /** Script calls the server has counted (EVALSHA, EVAL): every call of the backend is one. */
    private static long scriptCalls() {
        long calls = 0;
        for (String line : server.cli("INFO", "commandstats").split("\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                calls += Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
            }
        }
        return calls;
    }

    @Test
    @DisplayName("read is one request, and a page of a listing is one request")
    void oneRequestEach() {
        try (RedisLockBackend redis = backend()) {
            String prefix = "inspect:requests:" + UUID.randomUUID() + ":";
            for (int i = 0; i < 5; i++) {
                redis.tryAcquire(prefix + i, "o" + i, Duration.ofSeconds(30));
            }
            // Once each first, so that the scripts are loaded (NOSCRIPT, then EVAL) before counting.
            redis.read(prefix + 0, deadline());
            redis.list(prefix, null, 1000, deadline());
            long before = scriptCalls();
            assertThat(redis.read(prefix + 0, deadline())).isNotNull();
            assertThat(scriptCalls() - before).isEqualTo(1);
            before = scriptCalls();
            LockInspection.Page page = redis.list(prefix, null, 1000, deadline());
            assertThat(scriptCalls() - before).isEqualTo(1);
            // A small keyspace is scanned in one page.
            assertThat(page.locks()).hasSize(5);
            assertThat(page.nextCursor()).isNull();
        }
    }
}
