package io.distlock.spring.web;

import io.distlock.spring.TestRedis;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The end-to-end tests on a private redis-server reached through {@code distlock.uri} only: each instance's locks
 * and records come from the URI (no client bean), so a retry on the other instance is replayed from the URI's
 * record store.
 */
class RedisUriIdempotencyEndToEndTest extends IdempotencyEndToEndTest {

    private TestRedis redis;

    @Override
    void startBackend() {
        redis = TestRedis.start();
    }

    @Override
    ConfigurableApplicationContext startInstance() {
        return TestApplication.start(book, context -> { }, "distlock.uri=" + redis.address(),
                "distlock.operation-timeout=1s", "distlock.idempotency.max-response-bytes=4096");
    }

    @Override
    void takeBackendDown() {
        redis.kill();
    }

    @Override
    void stopBackend() {
        if (redis != null) {
            redis.close();
        }
    }
}
