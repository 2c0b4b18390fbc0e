package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockConfigurationException;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The entry points beyond the TCK: URIs through {@link LockManagers#create} (a manager that owns its client), the
 * builder's checks, an unreachable endpoint, and authentication (right and wrong passwords, a user without
 * permission) on a server with auth enabled.
 */
@DisplayName("etcd: builders, URIs, authentication")
class EtcdLockManagerTest {

    private static final EtcdTckBackend BACKEND = new EtcdTckBackend();

    @BeforeAll
    static void startServer() {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() {
        BACKEND.stop();
    }

    @Test
    @DisplayName("an etcd:// URI makes a manager that owns its client and excludes a builder's manager in the same "
            + "namespace")
    void uriManagerExcludesBuilderManager() {
        String key = "uri-" + UUID.randomUUID();
        try (LockManager byUri = LockManagers.create(URI.create("etcd://" + BACKEND.server().endpoint() + "/"
                + BACKEND.namespace() + "?lease=5s&timeout=2s"));
             LockManager byBuilder = EtcdLockManager.builder().client(BACKEND.client())
                     .namespace(BACKEND.namespace()).build()) {
            LockHandle held = byUri.tryLock(key).orElseThrow();
            assertThat(byBuilder.tryLock(key)).isEmpty();
            held.close();
            byBuilder.tryLock(key).orElseThrow().close();
        }
        // The caller's client outlives the builder's manager.
        assertThat(BACKEND.client().getKVClient().get(ByteSequence.from("x", StandardCharsets.UTF_8)))
                .succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("clause 6.2, 4.3: a lock deleted behind its holder is reported lost, and the holder's stale close "
            + "leaves the next holder's lock alone")
    void foreignDeleteIsReportedLost() {
        String key = "deleted-" + UUID.randomUUID();
        try (LockManager holder = BACKEND.newManager(BACKEND.settings().withLease(Duration.ofSeconds(2)));
             LockManager other = BACKEND.newManager(BACKEND.settings())) {
            LockHandle held = holder.tryLock(key).orElseThrow();
            BACKEND.faults().orElseThrow().deleteLock(key);
            LockLoss loss = await("the holder reports the deleted lock").atMost(Duration.ofSeconds(10))
                    .until(() -> held.lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(held.isHeld()).isFalse();
            LockHandle next = other.tryLock(key).orElseThrow();
            held.close();
            assertThat(holder.tryLock(key)).as("the stale close released the next holder's lock").isEmpty();
            assertThat(next.fencingToken()).isGreaterThan(held.fencingToken());
            next.close();
        }
    }

    @Test
    @DisplayName("URIs and builders refuse bad options with a message naming them")
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd://127.0.0.1:2379?bogus=1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bogus");
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd://127.0.0.1:2379?ca=/tmp/x.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("etcds://");
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd:///ns")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd://127.0.0.1/ns")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd://user@127.0.0.1:2379")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user:password");
        assertThatThrownBy(() -> EtcdLockManager.builder().build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> EtcdLockManager.builder().client(BACKEND.client()).endpoints("127.0.0.1:1").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one");
        assertThatThrownBy(() -> EtcdLockManager.builder().client(BACKEND.client()).user("u", "p").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jetcd Client");
        assertThatThrownBy(() -> EtcdLockManager.builder().namespace(" / "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
        assertThatThrownBy(() -> EtcdLockManager.builder().endpoints())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoints");
        assertThatThrownBy(() -> EtcdLockManager.builder().trustCertificates(java.nio.file.Path.of("/no/such.pem")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("/no/such.pem");
    }

    @Test
    @DisplayName("clause 9.1: a closed port is an outage within the timeout, never 'held'")
    void closedPortIsAnOutage() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        try (LockManager manager = LockManagers.create(URI.create("etcd://127.0.0.1:" + port + "?timeout=1s"))) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> manager.tryLock("closed-port")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("closed-port");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    /** A server of its own, with authentication enabled: root, and a user whose role may only read. */
    @Nested
    @DisplayName("with authentication")
    class Authentication {

        @Test
        @DisplayName("right password works; a wrong one and a user without write permission fail with a message "
                + "that says so, never 'held'")
        void credentialsAreChecked() throws Exception {
            try (EtcdServer server = EtcdServer.start()) {
                enableAuth(server);
                // 5 s, not 2: each first call authenticates, and etcd checks passwords with bcrypt, which took
                // longer than 2 s on a loaded machine.
                String key = "auth-" + UUID.randomUUID();
                try (LockManager root = LockManagers.create(URI.create("etcd://root:s3cret@" + server.endpoint()
                        + "?timeout=5s"))) {
                    root.tryLock(key).orElseThrow().close();
                }
                try (LockManager wrong = EtcdLockManager.builder().endpoints(server.endpoint())
                        .user("root", "wrong-password")
                        .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(5))).build()) {
                    assertThatThrownBy(() -> wrong.tryLock(key)).isInstanceOf(LockConfigurationException.class)
                            .hasMessageContaining("authentication failed").hasMessageNotContaining("wrong-password");
                }
                try (LockManager reader = LockManagers.create(URI.create("etcd://reader:r3ad@" + server.endpoint()
                        + "?timeout=5s"))) {
                    assertThatThrownBy(() -> reader.tryLock(key)).isInstanceOf(LockConfigurationException.class)
                            .hasMessageContaining("permission denied");
                }
            }
        }

        private void enableAuth(EtcdServer server) throws Exception {
            try (Client admin = Client.builder().endpoints("http://" + server.endpoint()).build()) {
                var auth = admin.getAuthClient();
                auth.userAdd(bytes("root"), bytes("s3cret")).get(10, TimeUnit.SECONDS);
                auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
                auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
                auth.userAdd(bytes("reader"), bytes("r3ad")).get(10, TimeUnit.SECONDS);
                auth.roleAdd(bytes("read-only")).get(10, TimeUnit.SECONDS);
                auth.roleGrantPermission(bytes("read-only"), bytes("/"), bytes("\0"), Permission.Type.READ)
                        .get(10, TimeUnit.SECONDS);
                auth.userGrantRole(bytes("reader"), bytes("read-only")).get(10, TimeUnit.SECONDS);
                auth.authEnable().get(10, TimeUnit.SECONDS);
            }
        }

        private ByteSequence bytes(String s) {
            return ByteSequence.from(s, StandardCharsets.UTF_8);
        }
    }
}
