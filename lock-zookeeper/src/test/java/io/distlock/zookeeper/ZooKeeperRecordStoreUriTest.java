package io.distlock.zookeeper;

import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.RecordStores;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.spi.RecordStore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code RecordStores.create(URI)} on a private curator-test server: the URI's namespace, credentials and timeouts
 * reach the store as they reach {@code LockManagers.create} of the same URI, and records sit next to the locks.
 */
@DisplayName("zookeeper: record store from a URI")
class ZooKeeperRecordStoreUriTest {

    private static TestingServer server;
    private static CuratorFramework inspector;

    @BeforeAll
    static void start() throws Exception {
        server = ZooKeeperServers.server();
        inspector = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        if (inspector != null) {
            inspector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Paths of every record node under {@code namespace}. */
    private static List<String> recordNodes(String namespace) throws Exception {
        List<String> nodes = new ArrayList<>();
        String records = "/" + namespace + "/records";
        if (inspector.checkExists().forPath(records) == null) {
            return nodes;
        }
        for (String bucket : inspector.getChildren().forPath(records)) {
            for (String child : inspector.getChildren().forPath(records + "/" + bucket)) {
                nodes.add(records + "/" + bucket + "/" + child);
            }
        }
        return nodes;
    }

    @Test
    @DisplayName("the URI's path is the namespace of the records, beside the locks of the same URI")
    void namespaceFromPath() throws Exception {
        String namespace = "uri-" + UUID.randomUUID();
        URI uri = URI.create("zookeeper://" + server.getConnectString() + "/" + namespace
                + "?timeout=2s&sessionTimeout=10s&connectionTimeout=5s");
        AtomicInteger runs = new AtomicInteger();
        try (LockManager locks = LockManagers.create(uri); RecordStore records = RecordStores.create(uri)) {
            assertThat(records.putIfAbsent("k", bytes("v"), Duration.ofMinutes(1))).isTrue();
            assertThat(records.get("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v")));
            assertThat(recordNodes(namespace)).hasSize(1);

            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(records).build();
            String key = "order:" + UUID.randomUUID();
            assertThat(keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                    lock -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
            assertThat(keys.execute(key, "req", Duration.ofMinutes(1), ResultCodec.strings(),
                    lock -> "done-" + runs.incrementAndGet())).isEqualTo("done-1");
            assertThat(runs).hasValue(1);
            assertThat(recordNodes(namespace)).hasSize(2);
        }
    }

    @Test
    @DisplayName("user info is digest authentication: records are created with the creator's ACL")
    void digestCredentials() throws Exception {
        String namespace = "auth-" + UUID.randomUUID();
        URI uri = URI.create("zookeeper://alice:secret@" + server.getConnectString() + "/" + namespace);
        try (RecordStore records = RecordStores.create(uri)) {
            assertThat(records.putIfAbsent("k", bytes("v"), Duration.ofMinutes(1))).isTrue();
        }
        // CREATOR_ALL_ACL: a client without the digest may not even look at the records.
        assertThatThrownBy(() -> inspector.getChildren().forPath("/" + namespace + "/records"))
                .isInstanceOf(KeeperException.NoAuthException.class);
        try (RecordStore again = RecordStores.create(uri)) {
            assertThat(again.get("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v")));
        }
    }

    @Test
    @DisplayName("the store owns its client: after close() it refuses calls")
    void closesItsClient() {
        RecordStore store = RecordStores.create(URI.create("zookeeper://" + server.getConnectString()));
        store.close();
        assertThatThrownBy(() -> store.get("k")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("bad URIs fail before any client: no host, unknown parameter, user without password")
    void badUris() {
        assertThatThrownBy(() -> RecordStores.create(URI.create("zookeeper:///ns")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
        assertThatThrownBy(() -> RecordStores.create(URI.create("zookeeper://127.0.0.1:1?sesionTimeout=1s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sesionTimeout");
        assertThatThrownBy(() -> RecordStores.create(URI.create("zookeeper://alice@127.0.0.1:1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user:password");
    }
}
