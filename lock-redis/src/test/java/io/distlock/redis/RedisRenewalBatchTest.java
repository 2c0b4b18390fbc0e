package io.distlock.redis;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Batched renewal on a real server: one script renews hundreds of locks and answers per lock (renewed, or not owner
 * for a lock deleted or taken over behind its holder's back), the batch size is configurable, and a manager renews
 * its held locks in batches, not one script per lock.
 */
@DisplayName("redis: batched renewal")
class RedisRenewalBatchTest {

    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static long scriptCalls() {
        long calls = 0;
        for (String line : server.cli("INFO", "commandstats").split("\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                calls += Long.parseLong(line.substring(line.indexOf("calls=") + 6, line.indexOf(',')));
            }
        }
        return calls;
    }

    @Test
    @DisplayName("one script renews 1,000 locks and reports each: renewed, or NOT_OWNER when deleted or taken over")
    void oneScriptAnswersPerLock() throws Exception {
        RedisConnection connection = new RedisConnection();
        connection.single(server.address());
        RedisConnection.Connected connected = connection.connect(Duration.ofSeconds(1));
        int locks = 1_000;
        try (RedisLockBackend backend = new RedisLockBackend(connected.client(), true, connected.failures(),
                Duration.ofSeconds(1), Duration.ofMinutes(1), RedisLockBackend.ReplicaAcks.NONE, locks)) {
            assertThat(backend.renewalBatchSize()).isEqualTo(locks);
            List<Renewal> renewals = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                String key = "batch:" + i;
                assertThat(backend.tryAcquire(key, "owner-" + i, Duration.ofSeconds(5)).isAcquired()).isTrue();
                renewals.add(new Renewal(key, "owner-" + i));
            }
            // Behind the holders' backs: one lock deleted, one deleted and taken by another owner.
            server.cli("DEL", RedisKeys.lockKey("batch:10"));
            server.cli("DEL", RedisKeys.lockKey("batch:500"));
            assertThat(backend.tryAcquire("batch:500", "intruder", Duration.ofSeconds(5)).isAcquired()).isTrue();
            long before = scriptCalls();
            List<RenewalResult> results = backend.renewAllAsync(renewals, Duration.ofSeconds(60),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(1)).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(scriptCalls() - before).as("script calls for renewing 1,000 locks").isEqualTo(1);
            assertThat(results).hasSize(locks);
            for (int i = 0; i < locks; i++) {
                assertThat(results.get(i).status()).as("lock %d", i).isEqualTo(i == 10 || i == 500
                        ? RenewalResult.Status.NOT_OWNER : RenewalResult.Status.RENEWED);
            }
            assertThat(Long.parseLong(server.cli("PTTL", RedisKeys.lockKey("batch:999")))).isGreaterThan(30_000);
            assertThat(server.cli("EXISTS", RedisKeys.lockKey("batch:10")).trim()).as("no renewal re-creates a key")
                    .isEqualTo("0");
            assertThat(Long.parseLong(server.cli("PTTL", RedisKeys.lockKey("batch:500"))))
                    .as("the intruder's lease is untouched").isLessThanOrEqualTo(5_000);
            // The blocking form answers the same.
            assertThat(backend.renewAll(renewals.subList(498, 502), Duration.ofSeconds(60),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(1))).extracting(RenewalResult::status)
                    .containsExactly(RenewalResult.Status.RENEWED, RenewalResult.Status.RENEWED,
                            RenewalResult.Status.NOT_OWNER, RenewalResult.Status.RENEWED);
        }
    }

    @Test
    @DisplayName("a manager renews its held locks in batches of renewalBatchSize and reports a deleted one lost")
    void aManagerRenewsInBatches() {
        int locks = 1_000;
        try (LockManager manager = RedisLockManager.builder().address(server.address()).renewalBatchSize(100)
                .settings(LockSettings.defaults().withLease(Duration.ofSeconds(3))
                        .withOperationTimeout(Duration.ofSeconds(1))).build()) {
            List<LockHandle> handles = new ArrayList<>();
            for (int i = 0; i < locks; i++) {
                handles.add(manager.tryLock("managed:" + i).orElseThrow());
            }
            long before = scriptCalls();
            server.cli("DEL", RedisKeys.lockKey("managed:42"));
            LockLoss loss = Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> handles.get(42).lost().toCompletableFuture().getNow(null), l -> l != null);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
            // More than a lease: every other lock stays held, renewed by batches (per lock it would be thousands).
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(4000);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - until >= 0);
            assertThat(handles.stream().filter(LockHandle::isHeld)).hasSize(locks - 1);
            long scripts = scriptCalls() - before;
            assertThat(scripts).as("renewal scripts for %d locks over about 1.5 leases", locks).isBetween(10L, 150L);
        }
    }

    @Test
    @DisplayName("renewalBatchSize is checked before any network call, on the builder and in a URI")
    void batchSizeIsValidated() {
        assertThatThrownBy(() -> RedisLockManager.builder().renewalBatchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 1 and 10000");
        assertThatThrownBy(() -> RedisLockManager.builder().renewalBatchSize(10_001))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 10001");
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://127.0.0.1:1?renewalBatchSize=lots")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewalBatchSize")
                .hasMessageContaining("lots");
        try (LockManager manager = LockManagers.create(URI.create("redis://" + server.address()
                + "?renewalBatchSize=250&lease=3s&timeout=1s"))) {
            assertThat(manager.tryLock("uri-batch")).isPresent();
        }
    }
}
