package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockBackendException;
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
        try (LockManager viaUri = LockManagers.create(URI.create(uri("map=uri.locks&lease=5s&timeout=1s")));
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
    @DisplayName("a wrong cluster name fails the build with LockBackendException within the connect timeout")
    void wrongClusterFailsBuild() {
        URI wrong = URI.create("hazelcast://" + cluster.addresses()[0] + "?cluster=no-such-cluster"
                + "&connectTimeout=1s");
        long start = System.nanoTime();
        assertThatThrownBy(() -> LockManagers.create(wrong)).isInstanceOf(LockBackendException.class)
                .hasMessageContaining("no-such-cluster");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    @DisplayName("a community member rejects a client that sends credentials: the build says so")
    void credentialsAgainstCommunityMemberFail() {
        URI withCredentials = URI.create("hazelcast://app:secret@" + cluster.addresses()[0] + "?cluster="
                + cluster.clusterName() + "&connectTimeout=1s");
        assertThatThrownBy(() -> LockManagers.create(withCredentials)).isInstanceOf(LockBackendException.class)
                .hasMessageNotContaining("secret");
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
