package io.distlock.redis;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Authentication: a server with {@code requirepass}, and an ACL user allowed only what distlock needs (the minimal
 * ACL documented in the README), through the builder and through URIs.
 */
@DisplayName("redis: password and ACL user")
class RedisAuthTest {

    static final String PASSWORD = "s3cret-pass";
    static final String USER = "locker";
    static final String USER_PASSWORD = "locker-pass";
    /** The minimal ACL for distlock, as documented in the README. */
    static final String ACL = "on >" + USER_PASSWORD + " resetkeys ~distlock:* resetchannels &distlock:released "
            + "-@all +evalsha +eval +script|load +get +set +pttl +pexpire +del +time "
            + "+publish +subscribe +unsubscribe +ping";

    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.startWithPassword(PASSWORD, "--requirepass", PASSWORD);
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("ACL", "SETUSER", USER));
        command.addAll(java.util.List.of(ACL.split(" ")));
        server.cli(command.toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1));
    }

    private static void exercise(LockManager a, LockManager b) throws InterruptedException {
        String key = "auth:" + UUID.randomUUID();
        LockHandle held = a.tryLock(key).orElseThrow();
        assertThat(b.tryLock(key)).isEmpty();
        Thread releaser = new Thread(held::close);
        // A wait uses the release channel, which the ACL must allow.
        releaser.start();
        try (LockHandle next = b.tryLock(key, Duration.ofSeconds(5)).orElseThrow()) {
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
        } finally {
            releaser.join();
        }
    }

    @Test
    @DisplayName("requirepass: the right password works, a wrong or missing one fails at build")
    void password() throws Exception {
        try (LockManager a = RedisLockManager.builder().address(server.address()).password(PASSWORD)
                .settings(settings()).build();
             LockManager b = LockManagers.create(URI.create("redis://:" + PASSWORD + "@" + server.address()
                     + "?timeout=1s"))) {
            exercise(a, b);
        }
        assertThatThrownBy(() -> RedisLockManager.builder().address(server.address()).password("not-" + PASSWORD)
                .settings(settings()).build())
                .isInstanceOf(io.distlock.LockConfigurationException.class).hasMessageNotContaining("not-" + PASSWORD);
        assertThatThrownBy(() -> RedisLockManager.builder().address(server.address()).settings(settings()).build())
                .isInstanceOf(io.distlock.LockConfigurationException.class);
    }

    @Test
    @DisplayName("redis://PASSWORD@host: the user info alone is the password, and no message shows it")
    void passwordOnlyUserInfo() throws Exception {
        try (LockManager a = LockManagers.create(URI.create("redis://" + PASSWORD + "@" + server.address()
                + "?timeout=1s"));
             LockManager b = LockManagers.create(URI.create("redis://:" + PASSWORD + "@" + server.address()
                     + "?timeout=1s"))) {
            exercise(a, b);
        }
        String wrong = "not-the-" + PASSWORD;
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://" + wrong + "@" + server.address()
                + "?timeout=1s")))
                .isInstanceOf(io.distlock.LockConfigurationException.class)
                .hasMessageStartingWith("Redis refused the password for user 'default'")
                .hasMessageNotContaining(wrong);
        // An error the provider finds in the URI itself quotes the URI: redacted.
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://" + PASSWORD + "@" + server.address()
                + "/x?timeout=1s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("***@")
                .hasMessageNotContaining(PASSWORD);
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://" + PASSWORD + "@" + server.address()
                + "," + server.address() + "?timeout=1s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining(PASSWORD);
    }

    @Test
    @DisplayName("ACL user with only the documented minimal permissions: acquire, wait, release and renew work")
    void aclUser() throws Exception {
        try (LockManager a = RedisLockManager.builder().address(server.address()).username(USER)
                .password(USER_PASSWORD).settings(settings().withOperationTimeout(Duration.ofMillis(500))
                        .withLease(Duration.ofMillis(1500))).build();
             LockManager b = LockManagers.create(URI.create("redis://" + USER + ":" + USER_PASSWORD + "@"
                     + server.address() + "?timeout=1s"))) {
            exercise(a, b);
            // Renewal (PEXPIRE inside the script) under the ACL: held across several short leases.
            String key = "auth-renew:" + UUID.randomUUID();
            try (LockHandle held = a.tryLock(key).orElseThrow()) {
                org.awaitility.Awaitility.await().pollDelay(Duration.ofMillis(2000)).atMost(Duration.ofSeconds(5))
                        .until(() -> true);
                assertThat(held.isHeld()).isTrue();
                assertThat(b.tryLock(key)).isEmpty();
            }
        }
    }

    @Test
    @DisplayName("inspection under the minimal ACL: read needs nothing more, list needs +scan as documented")
    void aclInspection() {
        server.cli("ACL", "SETUSER", "inspector", "on", ">inspector-pass", "resetkeys", "~distlock:*", "resetchannels",
                "&distlock:released", "-@all", "+evalsha", "+eval", "+script|load", "+get", "+set", "+pttl",
                "+pexpire", "+del", "+time", "+publish", "+subscribe", "+unsubscribe", "+ping", "+scan");
        for (String user : new String[] {USER, "inspector"}) {
            RedisConnection connection = new RedisConnection();
            connection.single(server.address());
            connection.username(user);
            connection.password(user.equals(USER) ? USER_PASSWORD : "inspector-pass");
            RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(1));
            try (RedisLockBackend redis = new RedisLockBackend(connected.client(), true, connected.failures(),
                    Duration.ofSeconds(1), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE)) {
                String key = "auth-inspect:" + UUID.randomUUID();
                assertThat(redis.tryAcquire(key, "o", Duration.ofSeconds(30)).isAcquired()).isTrue();
                assertThat(redis.read(key, System.nanoTime() + 1_000_000_000L).owner()).isEqualTo("o");
                if (user.equals(USER)) {
                    assertThatThrownBy(() -> redis.list("auth-inspect:", null, 10, System.nanoTime() + 1_000_000_000L))
                            .isInstanceOf(io.distlock.LockBackendException.class);
                } else {
                    assertThat(redis.list(key, null, 10, System.nanoTime() + 1_000_000_000L).locks())
                            .extracting(io.distlock.spi.StoredLock::key).containsExactly(key);
                }
            }
        }
    }
}
