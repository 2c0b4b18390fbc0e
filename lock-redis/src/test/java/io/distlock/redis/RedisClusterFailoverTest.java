package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Redis Cluster failover: three masters with a replica each; the master of a lock's slot is killed once its
 * replica has the lock's writes, the cluster promotes the replica, and the managers follow. Fencing tokens keep
 * increasing and the replicated lock stays exclusive. In the fault suite: the cluster takes about ten seconds to
 * start and fail over.
 */
@Tag("fault-suite")
@DisplayName("redis-cluster: failover of a lock's master to its replica")
class RedisClusterFailoverTest {

    private static final Duration SOON = Duration.ofSeconds(60);

    private static long offset(RedisServer server, String field) {
        for (String line : server.cli("INFO", "replication").split("\n")) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).trim());
            }
        }
        return -1;
    }

    @Test
    @DisplayName("the master of the slot dies after replicating: tokens increase, the held lock stays exclusive")
    void failover() {
        try (RedisCluster cluster = RedisCluster.start(1, 1000)) {
            URI uri = URI.create("redis-cluster://" + String.join(",", cluster.addresses())
                    + "?timeout=1s&lease=10s");
            try (LockManager a = LockManagers.create(uri); LockManager b = LockManagers.create(uri)) {
                String heldKey = "cluster-failover:" + UUID.randomUUID();
                int slot = RedisKeys.slot(RedisKeys.lockKey(heldKey));
                long before;
                try (LockHandle first = a.tryLock(heldKey).orElseThrow()) {
                    before = first.fencingToken();
                }
                LockHandle held = a.tryLock(heldKey).orElseThrow();
                RedisServer master = cluster.masterOf(slot);
                RedisServer replica = cluster.replicaOf(slot);
                Awaitility.await("replica caught up").atMost(SOON).until(() -> offset(replica, "slave_repl_offset")
                        >= offset(master, "master_repl_offset"));
                master.kill();
                Awaitility.await("the replica is promoted").atMost(SOON).pollInterval(Duration.ofMillis(100))
                        .until(() -> replica.cli("INFO", "replication").contains("role:master"));
                assertThat(Awaitility.await("b sees the held lock on the new master").atMost(SOON)
                        .ignoreException(LockBackendException.class)
                        .until(() -> b.tryLock(heldKey), r -> true))
                        .as("the replicated lock %s is still held after the failover", heldKey).isEmpty();
                assertThat(held.isHeld()).isTrue();
                held.close();
                try (LockHandle again = Awaitility.await("b takes it after the release").atMost(SOON)
                        .ignoreException(LockBackendException.class)
                        .until(() -> b.tryLock(heldKey).orElse(null), h -> h != null)) {
                    assertThat(again.fencingToken()).as("token after the failover").isGreaterThan(before)
                            .isGreaterThan(held.fencingToken());
                }
            }
        }
    }
}
