package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Faults of a real redis-server that the TCK's generic faults do not cover: a server stalled for longer than the
 * lease, a restart that lost all data, a server that is gone. Each test has its own server.
 */
@DisplayName("redis: faults of a real server")
class RedisFaultTest {

    private static final Duration TIMEOUT = Duration.ofMillis(500);
    /** Three operation timeouts: renewal (a third of the lease) must not be shorter than one call may take. */
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration SOON = Duration.ofSeconds(10);

    private final List<AutoCloseable> resources = new ArrayList<>();

    private RedisServer server(String... args) {
        RedisServer server = RedisServer.start(args);
        resources.add(server);
        return server;
    }

    private LockManager manager(RedisServer server, LockSettings settings) {
        LockManager manager = RedisLockManager.builder().address(server.address()).settings(settings).build();
        // Managers close before the servers: resources close in reverse order.
        resources.add(manager);
        return manager;
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(TIMEOUT).withLease(LEASE);
    }

    private static String key(String hint) {
        return "fault:" + hint + ":" + UUID.randomUUID();
    }

    @AfterEach
    void closeAll() throws Exception {
        Exception failure = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        resources.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Test
    @DisplayName("SIGSTOP longer than the lease: the holder reports the loss, the key frees, the next token is larger")
    void stalledServerLosesLockAndFencesOldHolder() {
        RedisServer server = server();
        LockManager holder = manager(server, settings());
        LockManager other = manager(server, settings());
        String key = key("sigstop");
        LockHandle old = holder.tryLock(key).orElseThrow();
        server.pause();
        LockLoss loss;
        try {
            loss = Awaitility.await("loss of " + key + " reported while the server is stopped").atMost(SOON)
                    .until(() -> old.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(old.isHeld()).isFalse();
            // Stopped for longer than the lease, so the key has expired by the server's clock when it resumes.
            Awaitility.await().pollDelay(LEASE).atMost(SOON).until(() -> true);
        } finally {
            server.resume();
        }
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.BACKEND_UNREACHABLE);
        LockHandle next = Awaitility.await(key + " free for another manager after SIGCONT").atMost(SOON)
                .ignoreException(LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        try (next) {
            assertThat(next.fencingToken()).as("token after the loss").isGreaterThan(old.fencingToken());
            // The old holder's close must not release the new holder's lock.
            old.close();
            assertThat(holder.tryLock(key)).as("the new holder still has " + key).isEmpty();
        }
    }

    @Test
    @DisplayName("kill -9 and restart without persistence: tokens still increase, a held lock is reported lost")
    void restartWithoutDataKeepsTokensIncreasing() {
        RedisServer server = server();
        LockManager manager = manager(server, settings());
        String key = key("restart");
        String heldKey = key("restart-held");
        long before;
        try (LockHandle first = manager.tryLock(key).orElseThrow()) {
            before = first.fencingToken();
        }
        LockHandle held = manager.tryLock(heldKey).orElseThrow();
        server.restart();
        assertThat(server.cli("DBSIZE")).as("the restarted server is empty").isEqualTo("0");
        LockHandle after = Awaitility.await("locking works again after the restart").atMost(SOON)
                .ignoreException(LockBackendException.class)
                .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
        try (after) {
            assertThat(after.fencingToken()).as("token after a restart that lost the counter")
                    .isGreaterThan(before);
        }
        LockLoss loss = Awaitility.await("loss of " + heldKey + " reported after the restart").atMost(SOON)
                .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
        assertThat(loss.reason()).isIn(LockLoss.Reason.NOT_OWNER, LockLoss.Reason.BACKEND_UNREACHABLE);
        held.close();
    }

    @Test
    @DisplayName("server gone: tryLock and a wait throw LockBackendException within the operation timeout")
    void serverGoneThrowsInTime() {
        RedisServer server = server();
        LockManager manager = manager(server, settings());
        String key = key("gone");
        manager.tryLock(key).orElseThrow().close();
        server.kill();
        Duration bound = TIMEOUT.plusSeconds(1);
        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
            start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock(key, Duration.ofSeconds(5)))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
        }
    }

    @Test
    @DisplayName("SIGSTOP 1.5 s during an acquire with a 30 s lease: LockBackendException in time, and once the server "
            + "resumes another manager gets the key within 2 s (no ghost lock from the late script)")
    void stalledServerThrowsInTime() {
        RedisServer server = server();
        LockSettings longLease = settings().withLease(Duration.ofSeconds(30));
        LockManager manager = manager(server, longLease);
        LockManager other = manager(server, longLease);
        String key = key("stalled");
        manager.tryLock(key).orElseThrow().close();
        other.tryLock(key).orElseThrow().close();
        server.pause();
        long paused = System.nanoTime();
        try {
            assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
            assertThat(Duration.ofNanos(System.nanoTime() - paused)).isLessThan(TIMEOUT.plusSeconds(1));
            // The fault lasts 1.5 s: the script waits in the server's socket buffer and runs when it resumes.
            Duration left = Duration.ofMillis(1500).minusNanos(System.nanoTime() - paused);
            if (!left.isNegative()) {
                Awaitility.await().pollDelay(left).atMost(left.plusSeconds(1)).until(() -> true);
            }
        } finally {
            server.resume();
        }
        // The late script took the key for an owner whose caller had given up: it must be released, not left for
        // the rest of its 30 s lease.
        LockHandle next = Awaitility.await(key + " free for another manager within 2 s of SIGCONT")
                .atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                .ignoreException(LockBackendException.class)
                .until(() -> other.tryLock(key).orElse(null), h -> h != null);
        next.close();
    }

    @Test
    @org.junit.jupiter.api.Tag("fault-suite")
    @DisplayName("a caller's client with Redisson's default retries: a stalled acquire script is sent once, never "
            + "re-sent after the compensating release")
    void stalledScriptIsNeverResent() throws Exception {
        RedisServer server = server();
        org.redisson.config.Config config = new org.redisson.config.Config();
        // Redisson 3.52's defaults: 4 retries, 1.5 s apart, 3 s response timeout.
        config.useSingleServer().setAddress("redis://" + server.address());
        org.redisson.api.RedissonClient client = org.redisson.Redisson.create(config);
        resources.add(client::shutdown);
        LockManager manager = RedisLockManager.builder().client(client)
                .settings(settings().withLease(Duration.ofSeconds(30))).build();
        resources.add(manager);
        String key = key("resend");
        manager.tryLock(key).orElseThrow().close();
        String acquireSha = sha1(RedisScripts.ACQUIRE);
        java.nio.file.Path log = java.nio.file.Files.createTempFile("distlock-monitor", ".log");
        Process monitor = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(server.port()),
                "MONITOR").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Awaitility.await("MONITOR attached").atMost(SOON).until(() -> java.nio.file.Files.readString(log)
                    .startsWith("OK"));
            server.pause();
            try {
                assertThatThrownBy(() -> manager.tryLock(key)).isInstanceOf(LockBackendException.class);
                Awaitility.await().pollDelay(Duration.ofMillis(1500)).atMost(SOON).until(() -> true);
            } finally {
                server.resume();
            }
            LockHandle again = Awaitility.await(key + " free again").atMost(SOON)
                    .ignoreException(LockBackendException.class)
                    .until(() -> manager.tryLock(key).orElse(null), h -> h != null);
            again.close();
            // Past Redisson's whole retry schedule (4 x 1.5 s) as it would have run from the stalled call.
            Awaitility.await().pollDelay(Duration.ofSeconds(7)).atMost(SOON).until(() -> true);
            // MONITOR lines: time [db addr] "evalsha" "sha" "2" "lock key" "fence key" "owner" "lease" "retention"
            java.util.regex.Pattern quoted = java.util.regex.Pattern.compile("\"([^\"]*)\"");
            java.util.Map<String, Long> sendsPerOwner = java.nio.file.Files.readAllLines(log).stream()
                    .filter(line -> line.toLowerCase(java.util.Locale.ROOT).contains(acquireSha))
                    .map(line -> quoted.matcher(line).results().map(m -> m.group(1)).toList())
                    .filter(args -> args.size() > 5)
                    .collect(java.util.stream.Collectors.groupingBy(args -> args.get(5),
                            java.util.stream.Collectors.counting()));
            assertThat(sendsPerOwner).as("acquire scripts per owner seen by MONITOR").isNotEmpty()
                    .allSatisfy((owner, sends) -> assertThat(sends).as(owner).isEqualTo(1L));
        } finally {
            monitor.destroyForcibly();
            monitor.waitFor();
            java.nio.file.Files.deleteIfExists(log);
        }
    }

    private static String sha1(String text) throws java.security.NoSuchAlgorithmException {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-1")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(digest);
    }

    @Test
    @DisplayName("build() against a socket that accepts and never answers: LockBackendException (not a "
            + "configuration error) within the operation timeout")
    void silentSocketAtBuild() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + silent.getLocalPort();
            for (int i = 0; i < 2; i++) {
                long start = System.nanoTime();
                assertThatThrownBy(() -> RedisLockManager.builder().address(address).settings(settings()).build())
                        .isInstanceOf(LockBackendException.class)
                        .isNotInstanceOf(io.distlock.LockConfigurationException.class)
                        .hasMessageContaining(address);
                // The first build in a JVM also loads the client's classes; the bound is for the second.
                if (i == 1) {
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.plusSeconds(1));
                }
            }
        }
    }

    @Test
    @DisplayName("close() while the server answers nothing (SIGSTOP, sockets open): returns within about one "
            + "operation timeout, with locks held and a release subscription")
    void closeWhileStalled() throws InterruptedException {
        RedisServer server = server();
        LockManager holder = manager(server, settings().withLease(Duration.ofSeconds(30)));
        LockManager waiter = manager(server, settings());
        String key = key("close");
        holder.tryLock(key).orElseThrow();
        holder.tryLock(key("close-2")).orElseThrow();
        // The holder subscribes too: a wait on a key its other handle holds elsewhere.
        LockHandle foreign = waiter.tryLock(key("close-foreign")).orElseThrow();
        assertThat(holder.tryLock(foreign.key(), Duration.ofMillis(100))).isEmpty();
        server.pause();
        try {
            long start = System.nanoTime();
            holder.close();
            // One release times out (the rest are given up), then the client shuts down within the timeout.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(1));
        } finally {
            server.resume();
        }
    }

    @Test
    @DisplayName("an operator's DEL of a held lock (the TCK fixture's deleteLock): reported lost within one lease, "
            + "and the stale close leaves the next holder's lock")
    void foreignDelete() {
        RedisServer server = server();
        LockManager holder = manager(server, settings());
        LockManager other = manager(server, settings());
        String key = key("deleted");
        LockHandle old = holder.tryLock(key).orElseThrow();
        RedisTckBackend.faultsOf(server).deleteLock(key);
        LockHandle next = other.tryLock(key).orElseThrow();
        LockLoss loss = Awaitility.await("loss of " + key + " reported").atMost(SOON)
                .until(() -> old.lost().toCompletableFuture().getNow(null), l -> l != null);
        assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
        old.close();
        assertThat(holder.tryLock(key)).as("the next holder still has " + key).isEmpty();
        assertThat(next.isHeld()).isTrue();
        next.close();
    }

    @Test
    @DisplayName("no server at build time: build() throws LockBackendException naming the address")
    void noServerAtBuild() {
        int port = RedisServer.freePort();
        assertThatThrownBy(() -> RedisLockManager.builder().address("127.0.0.1:" + port).settings(settings()).build())
                .isInstanceOf(LockBackendException.class).hasMessageContaining("127.0.0.1:" + port);
    }
}
