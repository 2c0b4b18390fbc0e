package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code build()} fails within its timeout against an unreachable ensemble (or builds lazily when asked), and
 * {@code close()} returns in about an operation timeout per step against a server that accepts but never answers,
 * not after the whole session timeout. Durations are checked against generous bounds (a loaded machine), far below
 * the 20 s session timeout each would take without the bound.
 */
class LifecycleTest {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LifecycleTest.class);

    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration SESSION = Duration.ofSeconds(20);
    private static final LockSettings SETTINGS = LockSettings.defaults().withOperationTimeout(TIMEOUT)
            .withLease(SESSION);
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

    private static Duration since(long start) {
        return Duration.ofNanos(System.nanoTime() - start);
    }

    @Test
    void buildFailsWithinTheConnectionTimeoutOnAClosedPort() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString("127.0.0.1:" + InstanceSpec.getRandomPort())
                .settings(SETTINGS).build())
                .isExactlyInstanceOf(LockBackendException.class)
                .hasMessageStartingWith("could not connect to ZooKeeper at 127.0.0.1:")
                .hasMessageContaining("within connectionTimeout PT1S");
        assertThat(since(start)).isLessThan(TIMEOUT.plusSeconds(3));
    }

    @Test
    void buildFailsWithinTheConnectionTimeoutOnAServerThatNeverAnswers() throws Exception {
        try (SilentProxy silent = SilentProxy.neverAnswering()) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString(silent.connectString())
                    .settings(SETTINGS).build()).isExactlyInstanceOf(LockBackendException.class);
            log.info("build() against a server that never answers failed after {} ms", since(start).toMillis());
            // Includes closing the client that did not connect: bounded by the request timeout too.
            assertThat(since(start)).isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(3));
        }
    }

    @Test
    void lazyBuildReturnsAndTheFirstCallFailsInTime() throws Exception {
        try (SilentProxy silent = SilentProxy.neverAnswering()) {
            long start = System.nanoTime();
            LockManager manager = ZooKeeperLockManager.builder().connectString(silent.connectString())
                    .connectLazily(true).settings(SETTINGS).build();
            try {
                assertThatThrownBy(() -> manager.tryLock("lazy")).isExactlyInstanceOf(LockBackendException.class)
                        .hasMessageContaining("lazy");
            } finally {
                long closing = System.nanoTime();
                manager.close();
                log.info("close() of a lazy manager that never connected took {} ms", since(closing).toMillis());
                assertThat(since(closing)).as("close() against a server that never answered")
                        .isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(3));
            }
            assertThat(since(start)).isLessThan(TIMEOUT.multipliedBy(4).plusSeconds(3));
        }
    }

    /**
     * Connected, holding a lock, then the server goes silent (as if SIGSTOPped): close() gives up the release after
     * one operation timeout and the session close after another, instead of waiting out the 20 s session.
     */
    @Test
    void closeReturnsInTimeWhenTheServerStopsAnswering() throws Exception {
        try (SilentProxy proxy = SilentProxy.to(server.getPort())) {
            LockManager manager = ZooKeeperLockManager.builder().connectString(proxy.connectString())
                    .namespace("lifecycle-" + UUID.randomUUID()).settings(SETTINGS).build();
            LockHandle handle = manager.tryLock("held-at-close").orElseThrow();
            assertThat(handle.isHeld()).isTrue();
            proxy.silence();
            long start = System.nanoTime();
            manager.close();
            log.info("close() against a silent server took {} ms (operation timeout {}, session {})",
                    since(start).toMillis(), TIMEOUT, SESSION);
            assertThat(since(start)).as("close() against a silent server")
                    .isLessThan(TIMEOUT.multipliedBy(2).plusSeconds(3));
        }
    }

    @Test
    void unreachableStaysAPlainBackendExceptionNotAConfigurationError() {
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString("127.0.0.1:" + InstanceSpec.getRandomPort())
                .settings(SETTINGS).build())
                .isInstanceOf(LockBackendException.class).isNotInstanceOf(LockConfigurationException.class);
    }
}
