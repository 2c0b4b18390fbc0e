package io.distlock.cli;

import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.Map;

/** The commands against a real ZooKeeper server (Curator's TestingServer) on loopback. */
class CliZooKeeperTest extends CliStoreTest {

    private static TestingServer server;

    @BeforeAll
    static void startZooKeeper() throws Exception {
        System.setProperty("zookeeper.admin.enableServer", "false");
        InstanceSpec spec = new InstanceSpec(null, -1, -1, -1, true, -1, 100, -1,
                Map.of("clientPortAddress", "127.0.0.1", "maxSessionTimeout", "60000"), "127.0.0.1");
        server = new TestingServer(spec, true);
    }

    @AfterAll
    static void stopZooKeeper() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    String uri() {
        return "zookeeper://" + server.getConnectString();
    }

    @Override
    String appParameters() {
        return "sessionTimeout=3s&timeout=1s";
    }
}
