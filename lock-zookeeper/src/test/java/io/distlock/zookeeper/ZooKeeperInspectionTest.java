package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Inspection against a real server: the stored owner whole (256 characters), the czxid as token, paged listing of
 * the children, and the owner-checked release of another backend's lock, which its holder's watch reports lost.
 */
class ZooKeeperInspectionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LEASE = Duration.ofSeconds(6);

    private static TestingServer server;
    private static CuratorFramework holderClient;
    private static CuratorFramework operatorClient;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        holderClient = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
        operatorClient = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (holderClient != null) {
            holderClient.close();
        }
        if (operatorClient != null) {
            operatorClient.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static ZooKeeperLockBackend backend(CuratorFramework client, String namespace) {
        return new ZooKeeperLockBackend(client, false, "/" + namespace, ZooDefs.Ids.OPEN_ACL_UNSAFE, TIMEOUT);
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    /** An owner as long as the core allows: 256 printable ASCII characters. */
    private static String longOwner(String id) {
        StringBuilder owner = new StringBuilder(id).append(";manager=host-").append(UUID.randomUUID());
        while (owner.length() < 256) {
            owner.append('~');
        }
        return owner.substring(0, 256);
    }

    @Test
    void readsTheWholeOwnerTheCzxidAndNoLease() {
        String ns = "inspect-" + UUID.randomUUID();
        try (ZooKeeperLockBackend holder = backend(holderClient, ns);
             ZooKeeperLockBackend operator = backend(operatorClient, ns)) {
            String owner = longOwner("a1");
            AcquireResult result = holder.tryAcquire("orders/42", owner, LEASE, deadline());
            assertThat(result.isAcquired()).isTrue();

            StoredLock lock = operator.read("orders/42", deadline());
            assertThat(lock).isEqualTo(new StoredLock("orders/42", owner, result.fencingToken(), -1));
            assertThat(lock.owner()).hasSize(256);
            assertThat(operator.read("orders/43", deadline())).isNull();
        }
    }

    @Test
    void listsThePrefixInPagesInNameOrder() {
        String ns = "inspect-" + UUID.randomUUID();
        try (ZooKeeperLockBackend holder = backend(holderClient, ns);
             ZooKeeperLockBackend operator = backend(operatorClient, ns)) {
            assertThat(operator.list("app/", null, 10, deadline()).locks()).isEmpty();
            List<String> keys = List.of("app/a", "app/b", "app/c d", "app/\u00fc", "app/e/f", "apps", "other/x");
            for (String key : keys) {
                assertThat(holder.tryAcquire(key, "owner-of-" + key.replace(' ', '_'), LEASE, deadline())
                        .isAcquired()).isTrue();
            }
            List<StoredLock> seen = new ArrayList<>();
            List<String> names = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                LockInspection.Page page = operator.list("app/", cursor, 2, deadline());
                assertThat(page.locks()).hasSizeLessThanOrEqualTo(2);
                seen.addAll(page.locks());
                page.locks().forEach(lock -> names.add(ZnodeNames.encode(lock.key())));
                cursor = page.nextCursor();
                pages++;
            } while (cursor != null && pages < 10);
            assertThat(seen).extracting(StoredLock::key)
                    .containsExactlyInAnyOrder("app/a", "app/b", "app/c d", "app/\u00fc", "app/e/f");
            assertThat(names).isSorted();
            assertThat(pages).isEqualTo(3);
            for (StoredLock lock : seen) {
                assertThat(lock.owner()).isEqualTo("owner-of-" + lock.key().replace(' ', '_'));
                assertThat(lock.fencingToken()).isPositive();
                assertThat(lock.leaseRemainingNanos()).isEqualTo(-1);
            }
            Set<String> all = operator.list("", null, 1000, deadline()).locks().stream().map(StoredLock::key)
                    .collect(Collectors.toSet());
            assertThat(all).containsExactlyInAnyOrderElementsOf(keys);

            assertThatThrownBy(() -> operator.list("app/", "not-a-cursor", 2, deadline()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> operator.list("app/", "kother%2Fx", 2, deadline()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void releasesAnotherBackendsLockOnlyForItsOwnerAndTheHolderIsTold() throws Exception {
        String ns = "inspect-" + UUID.randomUUID();
        CompletableFuture<LockLoss.Reason> loss = new CompletableFuture<>();
        try (ZooKeeperLockBackend holder = backend(holderClient, ns);
             ZooKeeperLockBackend operator = backend(operatorClient, ns)) {
            holder.setLossListener((key, owner, reason, cause) -> loss.complete(reason));
            String owner = longOwner("b2");
            assertThat(holder.tryAcquire("stuck", owner, LEASE, deadline()).isAcquired()).isTrue();

            assertThat(operator.release("stuck", owner.substring(0, 255))).isFalse();
            assertThat(operator.read("stuck", deadline())).isNotNull();

            assertThat(operator.release("stuck", owner)).isTrue();
            assertThat(loss.get(10, TimeUnit.SECONDS)).isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(operator.read("stuck", deadline())).isNull();
            assertThat(operator.release("stuck", owner)).isFalse();
            // The robbed holder's own release sends nothing that could hit a successor.
            assertThat(operator.tryAcquire("stuck", "successor", LEASE, deadline()).isAcquired()).isTrue();
            assertThat(holder.release("stuck", owner)).isFalse();
            assertThat(operator.read("stuck", deadline()).owner()).isEqualTo("successor");
        }
    }

    @Test
    void aManagersHandleIsReportedLostWhenItsLockIsReleasedByOwner() throws Exception {
        String ns = "inspect-" + UUID.randomUUID();
        try (LockManager manager = ZooKeeperLockManager.builder().connectString(server.getConnectString())
                .namespace(ns).build();
             ZooKeeperLockBackend operator = backend(operatorClient, ns)) {
            LockHandle handle = manager.tryLock("job").orElseThrow();
            StoredLock stored = operator.read("job", deadline());
            assertThat(stored).isNotNull();
            assertThat(stored.fencingToken()).isEqualTo(handle.fencingToken());
            assertThat(operator.release("job", stored.owner())).isTrue();
            assertThat(handle.lost().toCompletableFuture().get(10, TimeUnit.SECONDS).reason())
                    .isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(handle.isHeld()).isFalse();
            handle.close();
            assertThat(manager.tryLock("job")).isPresent();
        }
    }
}
