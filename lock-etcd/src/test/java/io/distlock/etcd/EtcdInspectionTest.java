package io.distlock.etcd;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
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
 * Inspection against a private etcd server: the stored owner whole (256 characters), the create revision as token,
 * the lease's remaining TTL, paged range reads, and the owner-checked release of another backend's lock, which its
 * holder reports lost at its next keep-alive round.
 */
class EtcdInspectionTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final EtcdTckBackend SERVER = new EtcdTckBackend();

    @BeforeAll
    static void start() {
        SERVER.start();
    }

    @AfterAll
    static void stop() {
        SERVER.stop();
    }

    private static EtcdLockBackend backend(String namespace, Duration lease) {
        return new EtcdLockBackend(SERVER.client(), false, "/" + namespace + "/", lease, true, TIMEOUT,
                "etcd under /" + namespace + "/");
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    private static String longOwner(String id) {
        StringBuilder owner = new StringBuilder(id).append(";manager=host-").append(UUID.randomUUID());
        while (owner.length() < 256) {
            owner.append('~');
        }
        return owner.substring(0, 256);
    }

    @Test
    void readsTheWholeOwnerTheCreateRevisionAndTheLeaseLeft() {
        String ns = "inspect-" + UUID.randomUUID();
        try (EtcdLockBackend holder = backend(ns, LEASE); EtcdLockBackend operator = backend(ns, LEASE)) {
            String owner = longOwner("a1");
            AcquireResult result = holder.tryAcquire("orders/42", owner, LEASE, deadline());
            assertThat(result.isAcquired()).isTrue();

            StoredLock lock = operator.read("orders/42", deadline());
            assertThat(lock.key()).isEqualTo("orders/42");
            assertThat(lock.owner()).isEqualTo(owner).hasSize(256);
            assertThat(lock.fencingToken()).isEqualTo(result.fencingToken());
            assertThat(lock.leaseRemainingNanos()).isBetween(TimeUnit.SECONDS.toNanos(1), LEASE.toNanos());
            assertThat(operator.read("orders/43", deadline())).isNull();
        }
    }

    @Test
    void listsThePrefixInPagesInKeyOrder() {
        String ns = "inspect-" + UUID.randomUUID();
        try (EtcdLockBackend holder = backend(ns, LEASE); EtcdLockBackend other = backend(ns, LEASE);
             EtcdLockBackend operator = backend(ns, LEASE)) {
            assertThat(operator.list("app/", null, 10, deadline()).locks()).isEmpty();
            List<String> keys = List.of("app/a", "app/b", "app/c d", "app/\u00fc", "app/e/f", "apps", "other/x");
            for (int i = 0; i < keys.size(); i++) {
                // Two holders, so two leases on a page.
                EtcdLockBackend by = i % 2 == 0 ? holder : other;
                assertThat(by.tryAcquire(keys.get(i), "owner-" + i, LEASE, deadline()).isAcquired()).isTrue();
            }
            List<StoredLock> seen = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                LockInspection.Page page = operator.list("app/", cursor, 2, deadline());
                assertThat(page.locks()).hasSizeLessThanOrEqualTo(2);
                seen.addAll(page.locks());
                cursor = page.nextCursor();
                pages++;
            } while (cursor != null && pages < 10);
            assertThat(seen).extracting(StoredLock::key)
                    .containsExactly("app/a", "app/b", "app/c d", "app/e/f", "app/\u00fc");
            assertThat(pages).isEqualTo(3);
            for (StoredLock lock : seen) {
                assertThat(lock.owner()).isEqualTo("owner-" + keys.indexOf(lock.key()));
                assertThat(lock.fencingToken()).isPositive();
                assertThat(lock.leaseRemainingNanos()).isPositive();
            }
            Set<String> all = operator.list("", null, 1000, deadline()).locks().stream().map(StoredLock::key)
                    .collect(Collectors.toSet());
            assertThat(all).containsExactlyInAnyOrderElementsOf(keys);
            assertThatThrownBy(() -> operator.list("app/", "other/x", 2, deadline()))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void releasesAnotherBackendsLockOnlyForItsOwnerAndTheHolderIsTold() throws Exception {
        String ns = "inspect-" + UUID.randomUUID();
        CompletableFuture<LockLoss.Reason> loss = new CompletableFuture<>();
        try (EtcdLockBackend holder = backend(ns, Duration.ofSeconds(3)); EtcdLockBackend operator = backend(ns, LEASE)) {
            holder.setLossListener((key, owner, reason, cause) -> loss.complete(reason));
            String owner = longOwner("b2");
            assertThat(holder.tryAcquire("stuck", owner, LEASE, deadline()).isAcquired()).isTrue();

            assertThat(operator.release("stuck", owner.substring(0, 255))).isFalse();
            assertThat(operator.read("stuck", deadline())).isNotNull();

            assertThat(operator.release("stuck", owner)).isTrue();
            assertThat(operator.read("stuck", deadline())).isNull();
            assertThat(loss.get(10, TimeUnit.SECONDS)).isEqualTo(LockLoss.Reason.NOT_OWNER);
            assertThat(operator.release("stuck", owner)).isFalse();
            assertThat(operator.tryAcquire("stuck", "successor", LEASE, deadline()).isAcquired()).isTrue();
            assertThat(holder.release("stuck", owner)).isFalse();
            assertThat(operator.read("stuck", deadline()).owner()).isEqualTo("successor");
        }
    }

    @Test
    void aManagersHandleIsReportedLostWhenItsLockIsReleasedByOwner() throws Exception {
        String ns = "inspect-" + UUID.randomUUID();
        LockSettings settings = LockSettings.defaults().withLease(Duration.ofSeconds(3))
                .withOperationTimeout(Duration.ofSeconds(1));
        try (LockManager manager = EtcdLockManager.builder().client(SERVER.client()).namespace(ns)
                .settings(settings).build();
             EtcdLockBackend operator = backend(ns, LEASE)) {
            LockHandle handle = manager.tryLock("job").orElseThrow();
            StoredLock stored = operator.read("job", deadline());
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
