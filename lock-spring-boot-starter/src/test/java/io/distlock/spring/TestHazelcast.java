package io.distlock.spring;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.util.UUID;

/** An embedded Hazelcast member on 127.0.0.1 and a free port, with a unique cluster name; clients of it. */
public final class TestHazelcast implements AutoCloseable {

    private final String clusterName = "distlock-spring-" + UUID.randomUUID();
    private final int port = TestRedis.freePort();
    private final HazelcastInstance member;

    private TestHazelcast() {
        Config config = new Config().setClusterName(clusterName).setInstanceName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.partition.count", "23");
        config.setProperty("hazelcast.partition.operation.thread.count", "2");
        config.setProperty("hazelcast.generic.operation.thread.count", "2");
        config.setProperty("hazelcast.io.thread.count", "1");
        config.getJetConfig().setEnabled(false);
        config.getNetworkConfig().setPort(port).setPortAutoIncrement(false);
        config.getNetworkConfig().getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = config.getNetworkConfig().getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(false);
        member = Hazelcast.newHazelcastInstance(config);
    }

    public static TestHazelcast start() {
        return new TestHazelcast();
    }

    public HazelcastInstance member() {
        return member;
    }

    /** A new client of the member that gives up reconnecting quickly, so an outage shows within seconds. */
    public HazelcastInstance client() {
        ClientConfig config = new ClientConfig().setClusterName(clusterName);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.client.invocation.timeout.seconds", "2");
        config.getNetworkConfig().addAddress("127.0.0.1:" + port);
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(60_000)
                .setInitialBackoffMillis(100).setMaxBackoffMillis(500);
        return HazelcastClient.newHazelcastClient(config);
    }

    /** Ends the member as a crash would. */
    public void kill() {
        if (member.getLifecycleService().isRunning()) {
            member.getLifecycleService().terminate();
        }
    }

    @Override
    public void close() {
        kill();
    }
}
