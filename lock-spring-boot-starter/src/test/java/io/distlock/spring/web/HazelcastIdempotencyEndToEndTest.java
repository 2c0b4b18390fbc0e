package io.distlock.spring.web;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.spring.TestHazelcast;
import org.springframework.context.ConfigurableApplicationContext;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The end-to-end tests on an embedded Hazelcast member on 127.0.0.1; each instance has its own client bean. */
class HazelcastIdempotencyEndToEndTest extends IdempotencyEndToEndTest {

    private TestHazelcast hazelcast;
    private final List<HazelcastInstance> clients = new CopyOnWriteArrayList<>();

    @Override
    void startBackend() {
        hazelcast = TestHazelcast.start();
    }

    @Override
    ConfigurableApplicationContext startInstance() {
        HazelcastInstance client = hazelcast.client();
        clients.add(client);
        return TestApplication.start(book, context -> context.getBeanFactory().registerSingleton("hazelcast", client),
                "distlock.operation-timeout=1s", "distlock.idempotency.max-response-bytes=4096");
    }

    @Override
    void takeBackendDown() {
        hazelcast.kill();
    }

    @Override
    void stopBackend() {
        clients.forEach(client -> client.getLifecycleService().terminate());
        if (hazelcast != null) {
            hazelcast.close();
        }
    }
}
