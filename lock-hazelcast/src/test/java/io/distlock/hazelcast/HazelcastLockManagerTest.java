package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.spi.impl.eventservice.EventService;
import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The entry points: builder, URI, who owns which instance, and what a wrong cluster looks like. */
@DisplayName("hazelcast builder and URI")
class HazelcastLockManagerTest {

    private static TestCluster cluster;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start("entry", 1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String uri(String query) {
        return "hazelcast://" + String.join(",", cluster.addresses()) + "?cluster=" + cluster.clusterName()
                + (query.isEmpty() ? "" : "&" + query);
    }

    private static String key() {
        return "entry:" + UUID.randomUUID();
    }

    @Test
    @DisplayName("a hazelcast:// URI makes a manager with its own client, which excludes a manager on a member")
    void uriManagerExcludesEmbeddedManager() {
        int clientsBefore = HazelcastClient.getAllHazelcastClients().size();
        String key = key();
        URI withMap = URI.create(uri("map=uri.locks&lease=5s&timeout=1s&connectTimeout=15s"));
        try (LockManager viaUri = LockManagers.create(withMap);
             LockManager embedded = HazelcastLockManager.builder().instance(cluster.member(0)).mapName("uri.locks")
                     .build()) {
            assertThat(HazelcastClient.getAllHazelcastClients()).hasSize(clientsBefore + 1);
            try (LockHandle held = viaUri.tryLock(key).orElseThrow()) {
                assertThat(embedded.tryLock(key)).isEmpty();
                assertThat(held.fencingToken()).isPositive();
            }
            embedded.tryLock(key).orElseThrow().close();
        }
        assertThat(HazelcastClient.getAllHazelcastClients()).as("the manager's own client is shut down on close")
                .hasSize(clientsBefore);
        assertThat(cluster.member(0).getLifecycleService().isRunning())
                .as("the caller's member is not shut down by the manager").isTrue();
    }

    @Test
    @DisplayName("a caller's client is not shut down when the manager closes")
    void callersClientStaysOpen() {
        HazelcastInstance client = cluster.newClient();
        LockManager manager = HazelcastLockManager.builder().instance(client).build();
        manager.tryLock(key()).orElseThrow().close();
        manager.close();
        assertThat(client.getLifecycleService().isRunning()).isTrue();
    }

    @Test
    @DisplayName("?renewalBatchSize= is accepted; a bad one fails before any connection, naming the parameter")
    void renewalBatchSizeParameter() {
        try (LockManager viaUri = LockManagers.create(URI.create(uri("renewalBatchSize=7&connectTimeout=15s")))) {
            try (LockHandle held = viaUri.tryLock(key()).orElseThrow()) {
                assertThat(held.fencingToken()).isPositive();
            }
        }
        // Port 1 on loopback: nothing listens, and nothing is asked before the parameter is checked.
        assertThatThrownBy(() -> LockManagers.create(URI.create("hazelcast://127.0.0.1:1?renewalBatchSize=lots")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'renewalBatchSize'")
                .hasMessageContaining("'lots'");
        assertThatThrownBy(() -> LockManagers.create(URI.create("hazelcast://127.0.0.1:1?renewalBatchSize=0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewalBatchSize must be 1 to 10000");
    }

    @Test
    @DisplayName("a wrong cluster name fails the build at once with LockConfigurationException, in plain words")
    void wrongClusterFailsBuild() {
        URI wrong = URI.create("hazelcast://" + cluster.addresses()[0]
                + "?cluster=no-such-cluster&connectTimeout=20s");
        long start = System.nanoTime();
        assertThatThrownBy(() -> LockManagers.create(wrong)).isInstanceOf(LockConfigurationException.class)
                .hasMessageStartingWith("the hazelcast member at ")
                .hasMessageContaining("refused cluster name 'no-such-cluster'");
        // The member answers at once: no waiting for the connect timeout.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a community member refuses a client that sends credentials: LockConfigurationException, no secret")
    void credentialsAgainstCommunityMemberFail() {
        URI withCredentials = URI.create("hazelcast://app:secret@" + cluster.addresses()[0] + "?cluster="
                + cluster.clusterName() + "&connectTimeout=20s");
        assertThatThrownBy(() -> LockManagers.create(withCredentials))
                .isInstanceOf(LockConfigurationException.class)
                .hasMessageContaining("refused this client's credentials").hasMessageNotContaining("secret");
    }

    @Test
    @DisplayName("an unreachable cluster (closed port) fails the build within the operation timeout, not as a "
            + "configuration error")
    void closedPortFailsWithinTheOperationTimeout() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        assertUnreachableFailsInTime(port);
    }

    @Test
    @DisplayName("a member address that accepts and never answers fails the build within the operation timeout")
    void silentPortFailsWithinTheOperationTimeout() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            // Connections queue in the backlog, accepted by the kernel, and nothing ever answers them.
            assertUnreachableFailsInTime(silent.getLocalPort());
        }
    }

    private static void assertUnreachableFailsInTime(int port) {
        URI unreachable = URI.create("hazelcast://127.0.0.1:" + port + "?cluster=x&timeout=1s");
        long start = System.nanoTime();
        assertThatThrownBy(() -> LockManagers.create(unreachable)).isInstanceOf(LockBackendException.class)
                .isNotInstanceOf(LockConfigurationException.class)
                .hasMessageStartingWith("could not connect to hazelcast cluster 'x'");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        System.out.printf("build() against an unreachable port %d failed after %d ms%n", port, took.toMillis());
        // Bound: the 1 s operation timeout plus terminating the client (0.25 s for the first of a JVM), with slack for
        // a loaded machine.
        assertThat(took).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    @DisplayName("close() racing a manager's first waits leaves no release listener on the caller's member")
    void closeRacingFirstWaitsLeavesNoListener() throws InterruptedException {
        String map = "race.locks";
        EventService events = ((HazelcastInstanceProxy) cluster.member(0)).getOriginal().node.getNodeEngine()
                .getEventService();
        try (LockManager holder = HazelcastLockManager.builder().instance(cluster.member(0)).mapName(map).build()) {
            String key = key();
            LockHandle held = holder.tryLock(key).orElseThrow();
            for (int round = 0; round < 40; round++) {
                LockManager contender = HazelcastLockManager.builder().instance(cluster.member(0)).mapName(map)
                        .build();
                Thread waiter = new Thread(() -> {
                    try {
                        contender.tryLock(key, Duration.ofMillis(300)).ifPresent(LockHandle::close);
                    } catch (InterruptedException | RuntimeException e) {
                        // Closed under the wait: the race this test is about, not a failure.
                    }
                });
                waiter.start();
                if (round % 2 == 1) {
                    Thread.onSpinWait();
                }
                contender.close();
                waiter.join(5_000);
            }
            held.close();
            Awaitility.await("release listeners left on map " + map).atMost(Duration.ofSeconds(10))
                    .until(() -> events.getRegistrations(MapService.SERVICE_NAME, map).size(), n -> n == 0);
        }
    }

    @Test
    @DisplayName("unknown URI parameters, paths and missing hosts are rejected before connecting")
    void invalidUris() {
        assertThatThrownBy(() -> LockManagers.create(URI.create(uri("clutser=x"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clutser");
        assertThatThrownBy(() -> LockManagers.create(URI.create("hazelcast://127.0.0.1:1/locks")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("path");
        assertThatThrownBy(() -> LockManagers.create(URI.create("hazelcast:///?cluster=x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("address");
    }

    @Test
    @DisplayName("the builder wants an instance or addresses, not both, not neither")
    void builderMisuse() {
        assertThatThrownBy(() -> HazelcastLockManager.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> HazelcastLockManager.builder().instance(cluster.member(0))
                .addresses("127.0.0.1:5701").build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> HazelcastLockManager.builder().mapName(" ")).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("map name");
        assertThatThrownBy(() -> HazelcastLockManager.builder().tokenRetention(Duration.ZERO)).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("tokenRetention");
        assertThatThrownBy(() -> HazelcastLockManager.builder().settings(null))
                .isInstanceOf(NullPointerException.class);
        LockSettings settings = LockSettings.defaults();
        assertThat(HazelcastLockManager.builder().settings(settings)).isNotNull();
        // Refused before any connection is tried: nothing listens on port 1.
        assertThatThrownBy(() -> HazelcastLockManager.builder().addresses("127.0.0.1:1")
                .settings(settings.withLease(Duration.ofSeconds(1)).withOperationTimeout(Duration.ofSeconds(3)))
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewal interval");
    }

    @Test
    @DisplayName("a token retention far below a second does not cut a held lock short (Hazelcast expires in seconds)")
    void shortRetentionKeepsTheLease() throws InterruptedException {
        Duration lease = Duration.ofMillis(1500);
        LockSettings settings = LockSettings.defaults().withLease(lease).withRenewal(false);
        try (LockManager holder = HazelcastLockManager.builder().instance(cluster.member(0)).mapName("short.locks")
                .tokenRetention(Duration.ofMillis(1)).settings(settings).build();
             LockManager contender = HazelcastLockManager.builder().instance(cluster.member(0))
                     .mapName("short.locks").tokenRetention(Duration.ofMillis(1)).settings(settings).build()) {
            String key = key();
            long sentAt = System.nanoTime();
            LockHandle held = holder.tryLock(key).orElseThrow();
            long leaseEnd = sentAt + lease.toNanos();
            // Without slack, Hazelcast's whole-second expiry removed the entry up to a second before lease + retention.
            while (System.nanoTime() - leaseEnd < 0) {
                Optional<LockHandle> stolen = contender.tryLock(key);
                long answeredAt = System.nanoTime();
                stolen.ifPresent(LockHandle::close);
                assertThat(stolen.isPresent() && answeredAt - leaseEnd < 0)
                        .as("%s taken %d ms before its holder's lease ended", key,
                                (leaseEnd - answeredAt) / 1_000_000).isFalse();
                Thread.sleep(20); // pacing only
            }
            held.close();
        }
    }
}
