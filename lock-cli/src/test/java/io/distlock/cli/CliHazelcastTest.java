package io.distlock.cli;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.UUID;

/** The commands against a real Hazelcast member (embedded in this JVM, on 127.0.0.1), reached as a client. */
class CliHazelcastTest extends CliStoreTest {

    private static final String CLUSTER = "distlock-cli-" + UUID.randomUUID();
    private static int port;
    private static HazelcastInstance member;

    @BeforeAll
    static void startMember() {
        port = TestRedis.freePort();
        Config config = new Config().setClusterName(CLUSTER).setInstanceName(CLUSTER);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.partition.count", "23");
        config.getJetConfig().setEnabled(false);
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        member = Hazelcast.newHazelcastInstance(config);
    }

    @AfterAll
    static void stopMember() {
        if (member != null) {
            member.getLifecycleService().terminate();
        }
    }

    @Override
    String uri() {
        return "hazelcast://127.0.0.1:" + port + "?cluster=" + CLUSTER + "&connectTimeout=10s";
    }
}
