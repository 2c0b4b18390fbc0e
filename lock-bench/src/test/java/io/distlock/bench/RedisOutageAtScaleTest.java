package io.distlock.bench;

import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.redis.RedisLockManager;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clause 6.3 at scale on a real server: 1,000 handles of one manager on a redis-server that is then SIGSTOPped. No
 * handle's loss report may wait behind another's renewal or report: every one is reported lost
 * ({@code BACKEND_UNREACHABLE}) within about one lease plus one operation timeout of its last confirmed renewal,
 * which was at the latest when the server stopped. The bound has a generous slack for a loaded CI machine; what it
 * rules out is reports queueing (1,000 handles one timeout each would take over 16 minutes).
 */
class RedisOutageAtScaleTest {

    private static final int HANDLES = 1_000;
    private static final Duration LEASE = Duration.ofSeconds(3);
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    private static final Duration SLACK = Duration.ofSeconds(3);

    @Test
    void everyHandleIsReportedLostWithinALeaseAndATimeoutOfTheServerStopping() throws Exception {
        try (RedisProcess server = RedisProcess.start()) {
            Config config = new Config();
            config.setCodec(StringCodec.INSTANCE);
            config.useSingleServer().setAddress(server.address()).setTimeout((int) TIMEOUT.toMillis())
                    .setRetryAttempts(0);
            RedissonClient client = Redisson.create(config);
            LockManager locks = RedisLockManager.builder().client(client)
                    .settings(LockSettings.defaults().withLease(LEASE).withOperationTimeout(TIMEOUT)).build();
            boolean stopped = false;
            try {
                List<LockHandle> handles = new ArrayList<>(HANDLES);
                for (int i = 0; i < HANDLES; i++) {
                    String key = "outage-at-scale:" + i;
                    handles.add(locks.tryLock(key).orElseThrow(() -> new AssertionError(key + " not free")));
                }
                ConcurrentHashMap<String, Long> lostAt = new ConcurrentHashMap<>();
                ConcurrentHashMap<String, LockLoss.Reason> reasons = new ConcurrentHashMap<>();
                for (LockHandle handle : handles) {
                    handle.lost().thenAccept(loss -> {
                        lostAt.put(loss.key(), System.nanoTime());
                        reasons.put(loss.key(), loss.reason());
                    });
                }
                // Renewals are running (at a third of the lease) before the server stops.
                Thread.sleep(LEASE.toMillis() / 2);
                assertThat(lostAt).as("losses before the outage").isEmpty();
                long stoppedAt = System.nanoTime();
                server.signal("STOP");
                stopped = true;
                Duration bound = LEASE.plus(TIMEOUT).plus(SLACK);
                await("all " + HANDLES + " losses").atMost(bound.plus(Duration.ofSeconds(10)))
                        .pollInterval(Duration.ofMillis(50)).until(() -> lostAt.size() == HANDLES);
                long latest = lostAt.values().stream().mapToLong(at -> at - stoppedAt).max().orElseThrow();
                assertThat(Duration.ofNanos(latest)).as("last loss report after the server stopped")
                        .isLessThanOrEqualTo(bound);
                assertThat(reasons.values()).containsOnly(LockLoss.Reason.BACKEND_UNREACHABLE);
                assertThat(handles).noneMatch(LockHandle::isHeld);
                System.out.printf("%,d losses reported %.2f s to %.2f s after SIGSTOP (lease %s, timeout %s)%n",
                        HANDLES, lostAt.values().stream().mapToLong(at -> at - stoppedAt).min().orElseThrow() / 1e9,
                        latest / 1e9, LEASE, TIMEOUT);
            } finally {
                if (stopped) {
                    server.signal("CONT");
                }
                locks.close();
                client.shutdown(0, 5, TimeUnit.SECONDS);
            }
        }
    }
}
