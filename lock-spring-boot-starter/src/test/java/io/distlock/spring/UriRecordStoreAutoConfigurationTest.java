package io.distlock.spring;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.TokenOutcome;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.redis.RedisRecordStore;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code distlock.uri} gives the record store, and so {@link IdempotencyKeys} and {@link OneTimeTokens}, on every
 * backend scheme, each against a private server on loopback; the store is closed with the context.
 */
@DisplayName("starter: distlock.uri gives the record store on every backend")
class UriRecordStoreAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(DistlockAutoConfigurationTest.DISTLOCK);

    /** Runs idempotency keys and one-time tokens from the context and returns its record store. */
    private static RecordStore idempotencyWorks(ConfigurableApplicationContext context, String storeName) {
        assertThat(context.getBean(LockManager.class).tryLock("free:" + UUID.randomUUID())).isPresent()
                .get().satisfies(io.distlock.LockHandle::close);
        IdempotencyKeys keys = context.getBean(IdempotencyKeys.class);
        String key = "order:" + UUID.randomUUID();
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 2; i++) {
            assertThat(keys.execute(key, "body", Duration.ofMinutes(1), ResultCodec.strings(),
                    lock -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
        }
        assertThat(runs).hasValue(1);
        OneTimeTokens tokens = context.getBean(OneTimeTokens.class);
        String scope = "form:" + UUID.randomUUID();
        String token = tokens.issue(scope, Duration.ofMinutes(1));
        assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.CONSUMED);
        assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.ALREADY_CONSUMED);
        RecordStore store = context.getBean(RecordStore.class);
        assertThat(store.name()).startsWith(storeName);
        return store;
    }

    private void runAndCheckClosed(ApplicationContextRunner configured, String storeName) {
        AtomicReference<RecordStore> store = new AtomicReference<>();
        configured.run(context -> {
            assertThat(context).hasNotFailed();
            store.set(idempotencyWorks(context, storeName));
        });
        // The store owns the client it made from the URI: closing the context closes it.
        assertThatThrownBy(() -> store.get().get("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("redis://: records on the URI's server, under the application's key prefix")
    void redis() {
        try (TestRedis redis = TestRedis.start()) {
            ApplicationContextRunner configured = runner.withPropertyValues("distlock.uri=" + redis.address(),
                    "spring.application.name=orders");
            runAndCheckClosed(configured, "redis");
            configured.run(context -> {
                byte[] value = "v".getBytes(StandardCharsets.UTF_8);
                context.getBean(RecordStore.class).putIfAbsent("plain-key", value, Duration.ofMinutes(1));
                try (RecordStore prefixed = RedisRecordStore.builder().address(redis.address())
                        .keyPrefix("orders:").build()) {
                    assertThat(prefixed.get("plain-key")).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
                }
            });
        }
    }

    @Test
    @DisplayName("zookeeper://: records under the URI's namespace")
    void zookeeper() throws Exception {
        try (TestingServer server = new TestingServer(TestRedis.freePort(), true)) {
            runAndCheckClosed(runner.withPropertyValues("distlock.uri=zookeeper://" + server.getConnectString()
                    + "/orders?timeout=5s"), "zookeeper");
        }
    }

    @Test
    @DisplayName("hazelcast://: records in the cluster the URI names")
    void hazelcast() {
        try (TestHazelcast hazelcast = TestHazelcast.start()) {
            HazelcastInstance member = hazelcast.member();
            String uri = "hazelcast://127.0.0.1:" + member.getCluster().getLocalMember().getAddress().getPort()
                    + "?cluster=" + member.getConfig().getClusterName() + "&timeout=5s";
            runAndCheckClosed(runner.withPropertyValues("distlock.uri=" + uri), "hazelcast");
            assertThat(member.getMap("distlock.records").size()).isPositive();
        }
    }

    @Test
    @DisplayName("etcd://: records on the URI's cluster")
    void etcd() {
        // The Boot 4.1 compatibility run leaves lock-etcd out: Boot 4.1's BOM moves jetcd onto an untested gRPC.
        Assumptions.assumeTrue(onClassPath("io.distlock.etcd.EtcdLockManager"),
                "lock-etcd is not on this class path (the Boot 4.1 compatibility run does not test etcd)");
        try (TestEtcd etcd = TestEtcd.start()) {
            runAndCheckClosed(runner.withPropertyValues("distlock.uri=etcd://" + etcd.endpoint() + "/orders"
                    + "?timeout=5s"), "etcd");
        }
    }

    @Test
    @DisplayName("an application's own RecordStore bean still wins over the URI's")
    void ownRecordStoreWins() {
        try (TestRedis redis = TestRedis.start()) {
            RecordStore own = io.distlock.idempotency.LocalRecordStore.named("own-" + UUID.randomUUID());
            runner.withPropertyValues("distlock.uri=" + redis.address())
                    .withBean(RecordStore.class, () -> own)
                    .run(context -> assertThat(context.getBean(RecordStore.class)).isSameAs(own));
        }
    }

    private static boolean onClassPath(String className) {
        try {
            Class.forName(className, false, UriRecordStoreAutoConfigurationTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
