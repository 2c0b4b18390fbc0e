package io.distlock.micrometer;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The meters and observations on a real backend: a private redis-server on a free loopback port. */
class RedisInstrumentationTest {

    private PrivateRedis redis;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final TestObservationRegistry observations = TestObservationRegistry.create();

    @BeforeEach
    void startRedis() throws Exception {
        redis = PrivateRedis.start();
    }

    @AfterEach
    void stopRedis() {
        redis.close();
    }

    private double count(String name, String tag, String value) {
        return meters.get(name).tag("backend", "redis").tag("manager", "orders").tag(tag, value).counter().count();
    }

    private long timed(String outcome) {
        return meters.get("distlock.acquire").tag("backend", "redis").tag("outcome", outcome).timer().count();
    }

    @Test
    void acquireContendLoseAndOutageOnRedis() throws Exception {
        URI uri = URI.create(redis.uri() + "?lease=1500ms&timeout=300ms");
        LockInstrumentation instrumentation = LockInstrumentation.builder(meters).observationRegistry(observations)
                .managerName("orders").build();
        String key = "order:" + UUID.randomUUID();
        try (LockManager other = LockManagers.create(uri); LockManager locks = instrumentation.create(uri)) {
            try (LockHandle held = locks.tryLock(key).orElseThrow()) {
                assertThat(meters.get("distlock.held.active").longTaskTimer().activeTasks()).isEqualTo(1);
                assertThat(other.tryLock(key)).isEmpty();
                assertThat(locks.tryLock(key)).isEmpty();
            }
            try (LockHandle elsewhere = other.tryLock(key).orElseThrow()) {
                assertThat(locks.tryLock(key)).isEmpty();
                assertThat(locks.tryLock(key, Duration.ofMillis(50))).isEmpty();
            }
            assertThat(timed("acquired")).isEqualTo(1);
            assertThat(timed("contended")).isEqualTo(2);
            assertThat(timed("timeout")).isEqualTo(1);

            // The lock vanishes from the store behind its holder: the next renewal finds another owner.
            LockHandle doomed = locks.tryLock(key).orElseThrow();
            assertThat(redis.cli("FLUSHALL")).isEqualTo("OK");
            LockLoss loss = doomed.lost().toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertThat(loss.reason()).isEqualTo(LockLoss.Reason.NOT_OWNER);
            await().atMost(Duration.ofSeconds(10)).until(() -> count("distlock.lost", "reason", "not_owner") == 1);
            assertThat(meters.get("distlock.held.active").longTaskTimer().activeTasks()).isZero();
            doomed.close();

            redis.kill();
            assertThatThrownBy(() -> locks.tryLock(key)).isInstanceOf(LockBackendException.class);
            assertThat(meters.get("distlock.backend.errors").tag("operation", "acquire").tag("kind", "outage")
                    .counter().count()).isEqualTo(1);
            assertThat(timed("error")).isEqualTo(1);
        }
        assertThat(meters.find("distlock.acquire").meters()).as("removed with their manager").isEmpty();
        assertThat(observations).hasAnObservationWithAKeyValue("distlock.backend", "redis")
                .hasAnObservationWithAKeyValue("distlock.outcome", "error")
                .hasAnObservationWithAKeyValue("distlock.outcome", "timeout")
                .hasNumberOfObservationsWithNameEqualTo("distlock.lock.acquire", 6);
    }
}
