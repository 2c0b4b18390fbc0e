package io.distlock.redis;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How fencing tokens are made, observed through the documented key layout ({@code distlock:{key}:fence} for a
 * readable key): the counter wins while it is ahead of the server clock (as after a clock step back), the clock wins
 * once the counter is gone, and the counter expires after the fence retention.
 */
@DisplayName("redis: fencing tokens from counter and server clock")
class RedisFencingTest {

    private static final int DATABASE = 7;
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

    private static LockManager manager(Duration fenceRetention) {
        return RedisLockManager.builder().address(server.address()).database(DATABASE).fenceRetention(fenceRetention)
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1))).build();
    }

    private static String fenceKey(String key) {
        return RedisKeyLayout.fenceKey(key);
    }

    private static String cli(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-n";
        all[1] = Integer.toString(DATABASE);
        System.arraycopy(args, 0, all, 2, args.length);
        return server.cli(all);
    }

    @Test
    @DisplayName("a counter ahead of the server clock (a clock that stepped back) still gives counter + 1")
    void counterAheadOfClock() {
        try (LockManager manager = manager(RedisLockManager.DEFAULT_FENCE_RETENTION)) {
            String key = "fence-ahead:" + UUID.randomUUID();
            long first;
            try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                first = handle.fencingToken();
            }
            assertThat(cli("GET", fenceKey(key))).isEqualTo(Long.toString(first));
            // As if the clock had been an hour ahead when the last token was issued.
            long ahead = first + 3_600_000_000L;
            cli("SET", fenceKey(key), Long.toString(ahead), "PX", "60000");
            try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                assertThat(handle.fencingToken()).isEqualTo(ahead + 1);
            }
        }
    }

    @Test
    @DisplayName("the counter expires after the fence retention; tokens then come from the clock and still increase")
    void counterExpires() {
        try (LockManager manager = manager(Duration.ofMillis(200))) {
            String key = "fence-expiry:" + UUID.randomUUID();
            long first;
            try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                first = handle.fencingToken();
                long ttl = Long.parseLong(cli("PTTL", fenceKey(key)));
                assertThat(ttl).isBetween(1L, 200L);
            }
            Awaitility.await("fence counter of " + key + " expires").atMost(Duration.ofSeconds(5))
                    .until(() -> cli("EXISTS", fenceKey(key)).equals("0"));
            try (LockHandle handle = manager.tryLock(key).orElseThrow()) {
                assertThat(handle.fencingToken()).isGreaterThan(first);
            }
        }
    }
}
