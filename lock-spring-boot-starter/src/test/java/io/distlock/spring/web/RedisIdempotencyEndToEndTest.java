package io.distlock.spring.web;

import io.distlock.spring.TestRedis;
import org.redisson.api.RedissonClient;
import org.springframework.context.ConfigurableApplicationContext;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The end-to-end tests on a private redis-server; each instance has its own RedissonClient bean. */
class RedisIdempotencyEndToEndTest extends IdempotencyEndToEndTest {

    private TestRedis redis;
    private final List<RedissonClient> clients = new CopyOnWriteArrayList<>();

    @Override
    void startBackend() {
        redis = TestRedis.start();
    }

    @Override
    ConfigurableApplicationContext startInstance() {
        RedissonClient client = redis.client();
        clients.add(client);
        return TestApplication.start(book, context -> context.getBeanFactory().registerSingleton("redisson", client),
                "distlock.operation-timeout=1s", "distlock.idempotency.max-response-bytes=4096");
    }

    @Override
    void takeBackendDown() {
        redis.kill();
    }

    @Override
    void stopBackend() {
        clients.forEach(RedissonClient::shutdown);
        if (redis != null) {
            redis.close();
        }
    }
}
