package io.distlock.bench;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.map.IMap;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.hazelcast.HazelcastLockManager;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * One Hazelcast member in this JVM (127.0.0.1, a free port, a unique cluster name, no multicast, no phone home) and,
 * for the client variant, two clients connected to it over loopback. "Here" and "elsewhere" are the member itself
 * (embedded) or the two clients; distlock managers and the raw {@link IMap} are built on them. The member's executed
 * operation count stands in for "requests to the server": a lock call on a member is an operation whether or not it
 * crosses the network. lock-hazelcast's test cluster is package-private, hence this small launcher.
 */
final class HazelcastFixture implements AutoCloseable {

    static final String RAW_MAP = "bench.raw";

    final HazelcastInstance member;
    final HazelcastInstance here;
    final HazelcastInstance elsewhere;
    final LockManager locks;
    final LockManager otherLocks;
    final IMap<String, String> map;
    final ServerCalls calls;

    private HazelcastFixture(HazelcastInstance member, HazelcastInstance here, HazelcastInstance elsewhere) {
        this.member = member;
        this.here = here;
        this.elsewhere = elsewhere;
        LockSettings settings = LockSettings.defaults();
        this.locks = HazelcastLockManager.builder().instance(here).settings(settings).build();
        this.otherLocks = HazelcastLockManager.builder().instance(elsewhere).settings(settings).build();
        this.map = here.getMap(RAW_MAP);
        this.calls = ServerCalls.calibrated(((HazelcastInstanceProxy) member).getOriginal().node.getNodeEngine()
                .getOperationService()::getExecutedOperationCount);
    }

    /** Starts a member; with {@code clients}, "here" and "elsewhere" are two clients of it. */
    static HazelcastFixture start(boolean clients) {
        String cluster = "distlock-bench-" + UUID.randomUUID();
        int port = RedisProcess.freePort();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(memberConfig(cluster, port));
        HazelcastInstance here = member;
        HazelcastInstance elsewhere = member;
        try {
            // The first operation of a new cluster assigns the partitions: done here, not in the measurement.
            member.getMap("bench.warm-up").put("warm-up", "ok");
            if (clients) {
                here = client(cluster, port);
                elsewhere = client(cluster, port);
            }
            return new HazelcastFixture(member, here, elsewhere);
        } catch (RuntimeException e) {
            terminate(here, elsewhere, member);
            throw e;
        }
    }

    /** Locks {@code key} of the raw map on {@code instance} from another thread, which then ends (the lock stays). */
    static void lockFromAnotherThread(HazelcastInstance instance, String key) throws InterruptedException {
        Thread thread = new Thread(() -> instance.getMap(RAW_MAP).lock(key), "bench-holder");
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(30));
        RedisBenchmark.require(instance.getMap(RAW_MAP).isLocked(key));
    }

    @Override
    public void close() {
        RedisBenchmark.closeQuietly(locks);
        RedisBenchmark.closeQuietly(otherLocks);
        terminate(here, elsewhere, member);
    }

    private static void terminate(HazelcastInstance... instances) {
        for (HazelcastInstance instance : instances) {
            if (instance != null && instance.getLifecycleService().isRunning()) {
                instance.getLifecycleService().terminate();
            }
        }
    }

    private static Config memberConfig(String cluster, int port) {
        Config config = new Config().setClusterName(cluster);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        config.getJetConfig().setEnabled(false);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + port);
        return config;
    }

    /** A client configured as lock-hazelcast's README recommends (backup acks through the owner). */
    private static HazelcastInstance client(String cluster, int port) {
        ClientConfig config = new ClientConfig().setClusterName(cluster);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.getNetworkConfig().addAddress("127.0.0.1:" + port);
        config.setBackupAckToClientEnabled(false);
        return HazelcastClient.newHazelcastClient(config);
    }
}
