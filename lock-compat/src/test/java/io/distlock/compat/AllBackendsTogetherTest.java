package io.distlock.compat;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/**
 * Every backend on one class path, as an application that uses several of them has it: the dependency set the
 * enclosing module resolves (all backends with netty aligned, or with Spring Boot's BOM imported first) must load,
 * find every backend through {@link LockManagers#create(URI)}, and keep the basic contract against real servers on
 * loopback. The versions the class path resolved are published as report entries, so a run documents what it tested.
 */
class AllBackendsTogetherTest {

    private static Process redis;
    private static Path redisDir;
    private static int redisPort;
    private static TestingServer zookeeper;
    private static HazelcastInstance hazelcast;
    private static int hazelcastPort;
    private static String hazelcastCluster;

    @BeforeAll
    static void startServers() throws Exception {
        redisPort = freePort();
        redisDir = Files.createTempDirectory("distlock-compat-redis-");
        redis = new ProcessBuilder("redis-server", "--bind", "127.0.0.1", "--port", String.valueOf(redisPort),
                "--save", "", "--appendonly", "no", "--dir", redisDir.toString())
                .redirectErrorStream(true).redirectOutput(redisDir.resolve("redis.log").toFile()).start();
        Awaitility.await("redis-server on 127.0.0.1:" + redisPort).atMost(Duration.ofSeconds(20))
                .until(() -> accepts(redisPort));

        zookeeper = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);

        hazelcastPort = freePort();
        hazelcastCluster = "compat-" + UUID.randomUUID();
        Config config = new Config().setClusterName(hazelcastCluster);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.getJetConfig().setEnabled(false);
        config.getNetworkConfig().setPort(hazelcastPort).setPortAutoIncrement(false)
                .getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        hazelcast = Hazelcast.newHazelcastInstance(config);
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (hazelcast != null) {
            hazelcast.shutdown();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (redis != null) {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (redisDir != null) {
            try (var files = Files.walk(redisDir)) {
                files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void netty_has_one_version_on_the_class_path(TestReporter report) {
        Map<String, String> versions = new TreeMap<>();
        io.netty.util.Version.identify().forEach((artifact, v) -> versions.put(artifact, v.artifactVersion()));
        Map<String, String> tested = new TreeMap<>();
        tested.put("netty", versions.toString());
        tested.put("hazelcast", BuildInfoProvider.getBuildInfo().getVersion());
        tested.put("zookeeper", org.apache.zookeeper.Version.getFullVersion());
        tested.put("redisson", String.valueOf(org.redisson.Redisson.class.getPackage().getImplementationVersion()));
        tested.forEach((library, version) -> {
            report.publishEntry(library, version);
            // Also in the module's surefire output file, as the record of what this run tested.
            System.out.println("tested with " + library + " " + version);
        });
        assertThat(new TreeSet<>(versions.values()))
                .as("netty modules must share one version (a split between Redisson's and ZooKeeper's netty is what"
                        + " this module's dependency management must prevent): %s", versions)
                .hasSize(1);
    }

    @Test
    void redis_keeps_the_contract_next_to_the_other_backends() throws Exception {
        exercise(URI.create("redis://127.0.0.1:" + redisPort + "?timeout=5s"));
    }

    @Test
    void zookeeper_keeps_the_contract_next_to_the_other_backends() throws Exception {
        exercise(URI.create("zookeeper://" + zookeeper.getConnectString() + "/compat?timeout=5s"));
    }

    @Test
    void hazelcast_keeps_the_contract_next_to_the_other_backends() throws Exception {
        exercise(URI.create("hazelcast://127.0.0.1:" + hazelcastPort + "?cluster=" + hazelcastCluster + "&timeout=5s"));
    }

    /** Two managers ("replicas") on one backend: exclusion, fail fast, release, increasing fencing tokens. */
    private static void exercise(URI uri) throws Exception {
        String key = "compat:" + UUID.randomUUID();
        try (LockManager first = LockManagers.create(uri); LockManager second = LockManagers.create(uri)) {
            long firstToken;
            try (LockHandle held = first.tryLock(key).orElseThrow(() -> new AssertionError("free key refused: " + uri))) {
                firstToken = held.fencingToken();
                assertThat(held.isHeld()).isTrue();
                assertThat(second.tryLock(key)).as("a held key must be refused on another manager: %s", uri).isEmpty();
                assertThat(first.tryLock(key)).as("a held key must be refused on its own manager: %s", uri).isEmpty();
            }
            Optional<LockHandle> next = second.tryLock(key, Duration.ofSeconds(10));
            assertThat(next).as("a released key must be free again: %s", uri).isPresent();
            try (LockHandle again = next.get()) {
                assertThat(again.fencingToken()).as("fencing tokens increase: %s", uri).isGreaterThan(firstToken);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }
}
