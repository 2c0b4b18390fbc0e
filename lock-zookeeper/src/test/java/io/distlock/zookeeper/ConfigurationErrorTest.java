package io.distlock.zookeeper;

import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An ensemble that answers but refuses the client is a {@link LockConfigurationException} whose first line says so
 * in plain words (the {@code KeeperException} is the cause); an unreachable one stays a plain
 * {@code LockBackendException} (see {@link LifecycleTest}).
 */
class ConfigurationErrorTest {

    private static final LockSettings SETTINGS = LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2));
    private static TestingServer server;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** Wrong digest password: the namespace made with CREATOR_ALL by the right identity refuses the lock's create. */
    @Test
    void wrongPasswordIsNoAuth() {
        String ns = "auth-" + UUID.randomUUID();
        try (LockManager owner = ZooKeeperLockManager.builder().connectString(server.getConnectString()).namespace(ns)
                .authorization("digest", "app:right").settings(SETTINGS).build();
             LockManager intruder = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                     .namespace(ns).authorization("digest", "app:wrong").settings(SETTINGS).build()) {
            owner.tryLock("k").orElseThrow().close();
            try (LockHandle held = owner.tryLock("other").orElseThrow()) {
                assertThatThrownBy(() -> intruder.tryLock("k"))
                        .isInstanceOf(LockConfigurationException.class)
                        .hasMessageStartingWith("ZooKeeper refused access: the ACL of the lock nodes or of their "
                                + "parent does not allow this client's identity")
                        .hasMessageContaining("acquiring lock 'k'")
                        .hasMessageNotContaining("wrong")
                        .hasRootCauseInstanceOf(org.apache.zookeeper.KeeperException.NoAuthException.class);
            }
        }
    }

    /** An authentication the server cannot check at all (no provider for the scheme): the session is refused. */
    @Test
    void rejectedAuthenticationFailsTheBuild() {
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .authorization("no-such-scheme", "secret-value").settings(SETTINGS).build())
                .isInstanceOf(LockConfigurationException.class)
                .hasMessageStartingWith("ZooKeeper rejected this client's authentication")
                .hasMessageNotContaining("secret-value");
    }

    /** The same refusal on a manager built lazily shows on the first call, as a configuration error too. */
    @Test
    void rejectedAuthenticationOnALazyManagerFailsTheFirstCall() {
        try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .authorization("no-such-scheme", "secret-value").connectLazily(true).settings(SETTINGS).build()) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockConfigurationException.class)
                    .hasMessageStartingWith("ZooKeeper rejected this client's authentication");
        }
    }

    /** A namespace that exists but lets this client only read: the lock parent cannot be created in it. */
    @Test
    void namespaceTheClientMayNotCreateInIsNoAuth() throws Exception {
        String ns = "read-only-" + UUID.randomUUID();
        String admin = "admin:admin-password";
        CuratorFramework adminClient = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .retryPolicy(new RetryNTimes(0, 0)).authorization("digest", admin.getBytes(StandardCharsets.UTF_8))
                .build();
        adminClient.start();
        try (adminClient) {
            List<ACL> readOnlyForOthers = List.of(
                    new ACL(ZooDefs.Perms.ALL, new Id("digest", DigestAuthenticationProvider.generateDigest(admin))),
                    new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
            adminClient.create().withMode(CreateMode.PERSISTENT).withACL(readOnlyForOthers).forPath("/" + ns);
            try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                    .namespace(ns).settings(SETTINGS).build()) {
                assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockConfigurationException.class)
                        .hasMessageStartingWith("ZooKeeper refused access")
                        .hasMessageContaining("could not create parent /" + ns + "/locks");
            }
            assertThat(adminClient.checkExists().forPath("/" + ns + "/locks")).isNull();
            adminClient.delete().forPath("/" + ns);
        }
    }
}
