package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A server that answers but refuses the configuration gives {@link LockConfigurationException} whose first line
 * names the cause in a plain sentence, never a client library class; an unreachable one gives a plain
 * {@link LockBackendException}. One test per cause, against one real server with a password and ACL users that
 * each lack one thing distlock needs.
 */
@DisplayName("redis: configuration errors are not outages")
class RedisConfigurationTest {

    private static final String PASSWORD = "s3cret-config";
    private static final String ACL_PASSWORD = "acl-pass";
    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.startWithPassword(PASSWORD, "--requirepass", PASSWORD);
        user("noscripts", "-evalsha", "-eval");
        user("nosubscribe", "-subscribe");
        user("nopublish", "-publish");
    }

    /** The minimal ACL of the README with {@code minus} taken away. */
    private static void user(String name, String... minus) {
        List<String> command = new ArrayList<>(List.of("ACL", "SETUSER", name));
        command.addAll(List.of(RedisAuthTest.ACL.replace(">" + RedisAuthTest.USER_PASSWORD, ">" + ACL_PASSWORD)
                .split(" ")));
        command.addAll(List.of(minus));
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

    private static RedisLockManager.Builder builder() {
        return RedisLockManager.builder().address(server.address()).settings(settings());
    }

    /** The first line of the message: a plain sentence naming {@code cause}, no class names, no secret. */
    private static void assertFirstLine(Throwable e, String cause) {
        String first = e.getMessage().lines().findFirst().orElse("");
        assertThat(first).as("first line of %s", e.getMessage()).containsIgnoringCase(cause)
                .doesNotContain("org.redisson", "io.netty", "Exception", PASSWORD, ACL_PASSWORD);
        assertThat(e.getMessage()).doesNotContain(PASSWORD, ACL_PASSWORD);
    }

    @Test
    @DisplayName("wrong password (WRONGPASS): LockConfigurationException at build naming the password")
    void wrongPassword() {
        assertThatThrownBy(() -> builder().password("not-" + PASSWORD).build())
                .isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertFirstLine(e, "refused the password"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-" + PASSWORD));
    }

    @Test
    @DisplayName("missing password (NOAUTH): LockConfigurationException at build saying a password is required")
    void missingPassword() {
        assertThatThrownBy(() -> builder().build()).isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertFirstLine(e, "requires a password"));
    }

    @Test
    @DisplayName("database index out of range: LockConfigurationException at build naming the database")
    void databaseOutOfRange() {
        assertThatThrownBy(() -> builder().password(PASSWORD).database(99).build())
                .isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertFirstLine(e, "no database 99"));
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://" + PASSWORD + "@" + server.address()
                + "/42?timeout=1s"))).isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertFirstLine(e, "no database 42"));
    }

    @Test
    @DisplayName("ACL user without EVALSHA/EVAL: tryLock throws LockConfigurationException naming the command")
    void aclWithoutScripts() {
        try (LockManager manager = builder().username("noscripts").password(ACL_PASSWORD).build()) {
            assertThatThrownBy(() -> manager.tryLock("config:" + UUID.randomUUID()))
                    .isInstanceOf(LockConfigurationException.class)
                    .satisfies(e -> assertFirstLine(e, "user 'noscripts' is not allowed"))
                    .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse("")).contains("evalsha"));
        }
    }

    @Test
    @DisplayName("ACL user without SUBSCRIBE: a bounded wait throws LockConfigurationException naming the command")
    void aclWithoutSubscribe() {
        // 2 s: the refusal is inferred from a subscription unconfirmed for a whole timeout while a read answers
        // within half of one, which a loaded machine must manage.
        try (LockManager manager = builder().username("nosubscribe").password(ACL_PASSWORD)
                .settings(settings().withOperationTimeout(Duration.ofSeconds(2))).build();
             LockManager holder = builder().password(PASSWORD).build()) {
            String key = "config:" + UUID.randomUUID();
            try (LockHandle held = holder.tryLock(key).orElseThrow()) {
                assertThatThrownBy(() -> manager.tryLock(key, Duration.ofSeconds(10)))
                        .isInstanceOf(LockConfigurationException.class)
                        // Redisson passes the NOPERM reply on or drops it, depending on timing; both are named.
                        .satisfies(e -> assertFirstLine(e, "user 'nosubscribe' is"))
                        .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                                .contains("not allowed"))
                        .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                                .contains("subscribe"));
                assertThat(held.isHeld()).isTrue();
            }
        }
    }

    @Test
    @DisplayName("ACL user without PUBLISH: the release script throws LockConfigurationException naming it")
    void aclWithoutPublish() {
        RedisConnection.Connected connected;
        RedisConnection connection = new RedisConnection();
        connection.single(server.address());
        connection.username("nopublish");
        connection.password(ACL_PASSWORD);
        connected = connection.connect(Duration.ofSeconds(1));
        try (RedisLockBackend backend = new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(1), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE)) {
            String key = "config:" + UUID.randomUUID();
            assertThat(backend.tryAcquire(key, "owner-1", Duration.ofSeconds(30)).isAcquired()).isTrue();
            assertThatThrownBy(() -> backend.release(key, "owner-1"))
                    .isInstanceOf(LockConfigurationException.class)
                    .satisfies(e -> assertFirstLine(e, "user 'nopublish' is not allowed"))
                    .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                            .containsIgnoringCase("publish"));
        }
    }

    @Test
    @DisplayName("rediss:// against a plain-text port: LockConfigurationException at build naming TLS")
    void tlsAgainstPlainText() {
        assertThatThrownBy(() -> RedisLockManager.builder().address("rediss://" + server.address())
                .password(PASSWORD).settings(settings()).build())
                .isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertFirstLine(e, "TLS handshake failed"));
    }

    @Test
    @DisplayName("unreachable (closed port): a plain LockBackendException, not a configuration error")
    void unreachableIsNoConfigurationError() {
        String address = "127.0.0.1:" + RedisServer.freePort();
        assertThatThrownBy(() -> RedisLockManager.builder().address(address).password(PASSWORD)
                .settings(settings()).build())
                .isInstanceOf(LockBackendException.class).isNotInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                        .contains(address).doesNotContain("org.redisson", "io.netty"));
    }

    @Test
    @DisplayName("unreachable over rediss:// (closed port): a plain LockBackendException, not a TLS configuration "
            + "error")
    void unreachableTlsIsNoConfigurationError() {
        String address = "127.0.0.1:" + RedisServer.freePort();
        assertThatThrownBy(() -> RedisLockManager.builder().address(address).tls(true).password(PASSWORD)
                .settings(settings()).build())
                .isInstanceOf(LockBackendException.class).isNotInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                        .contains(address).doesNotContain("TLS handshake", "org.redisson", "io.netty"));
    }

    @Test
    @DisplayName("a caller's client with a user lacking EVALSHA: the same LockConfigurationException")
    void callersClientRefused() {
        Config config = new Config();
        config.useSingleServer().setAddress("redis://" + server.address()).setUsername("noscripts")
                .setPassword(ACL_PASSWORD).setTimeout(1000).setRetryAttempts(0);
        RedissonClient client = Redisson.create(config);
        try (LockManager manager = RedisLockManager.builder().client(client).settings(settings()).build()) {
            assertThatThrownBy(() -> manager.tryLock("config:" + UUID.randomUUID()))
                    .isInstanceOf(LockConfigurationException.class)
                    .satisfies(e -> assertFirstLine(e, "is not allowed"));
        } finally {
            client.shutdown();
        }
    }
}
