package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.partition.Partition;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A Hazelcast cluster of members in this JVM, on 127.0.0.1 only, on free ports chosen at start, with a unique
 * cluster name: multicast and auto-detection off, phone home off, no shutdown hook, SLF4J logging. Members can be
 * terminated (a crash) and the whole cluster restarted empty on the same ports. {@link #close()} terminates every
 * member and every client made here.
 */
final class TestCluster implements AutoCloseable {

    /**
     * How long clients made by tests wait for their first connection. Longer than the tests' 1 s operation timeout
     * (the default connect timeout): a machine at load 28 once needed more than that to connect a client.
     */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(15);

    /** Partition threads per member; {@link #blockPartitions()} occupies each of them. */
    private static final int PARTITION_THREADS = 2;

    private final String clusterName;
    private final int[] ports;
    private final HazelcastInstance[] members;
    private final List<HazelcastInstance> clients = new ArrayList<>();
    private volatile CountDownLatch gate;

    private TestCluster(String hint, int size) {
        this.clusterName = "distlock-" + hint + "-" + UUID.randomUUID();
        this.ports = freePorts(size);
        this.members = new HazelcastInstance[size];
    }

    /** Starts {@code size} members and waits until they form one cluster. */
    static TestCluster start(String hint, int size) {
        TestCluster cluster = new TestCluster(hint, size);
        try {
            cluster.startAll();
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void startAll() {
        for (int i = 0; i < members.length; i++) {
            members[i] = Hazelcast.newHazelcastInstance(config(i));
        }
        Awaitility.await("cluster " + clusterName + " forms").atMost(Duration.ofSeconds(30))
                .until(() -> members[0].getCluster().getMembers().size() == members.length);
        // The first operation of a new cluster assigns the partitions, which took over a second on a loaded
        // machine: do it here, so the tests' first lock call meets a ready cluster, as in production.
        members[0].getMap("distlock.test.warm-up").put("warm-up", "ok");
        Awaitility.await("cluster " + clusterName + " is safe").atMost(Duration.ofSeconds(30))
                .until(() -> members[0].getPartitionService().isClusterSafe());
    }

    private Config config(int index) {
        Config config = new Config().setClusterName(clusterName).setInstanceName(clusterName + "-" + index);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.partition.count", "23");
        config.setProperty("hazelcast.partition.operation.thread.count", Integer.toString(PARTITION_THREADS));
        config.setProperty("hazelcast.generic.operation.thread.count", "2");
        config.setProperty("hazelcast.event.thread.count", "2");
        config.setProperty("hazelcast.io.thread.count", "1");
        // Graceful shutdown migrates data; bounded so a teardown never hangs.
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
        config.getJetConfig().setEnabled(false);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(ports[index]).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true);
        for (int port : ports) {
            join.getTcpIpConfig().addMember("127.0.0.1:" + port);
        }
        return config;
    }

    String clusterName() {
        return clusterName;
    }

    /** The members' {@code 127.0.0.1:port} addresses. */
    String[] addresses() {
        String[] addresses = new String[ports.length];
        for (int i = 0; i < ports.length; i++) {
            addresses[i] = "127.0.0.1:" + ports[i];
        }
        return addresses;
    }

    HazelcastInstance member(int index) {
        return members[index];
    }

    /** The index of the member that owns {@code key}'s partition. */
    int ownerOf(String key) {
        Member owner = anyMember().getPartitionService().getPartition(key).getOwner();
        for (int i = 0; i < members.length; i++) {
            if (members[i] != null && members[i].getLifecycleService().isRunning()
                    && members[i].getCluster().getLocalMember().getUuid().equals(owner.getUuid())) {
                return i;
            }
        }
        throw new IllegalStateException("no running member owns the partition of " + key);
    }

    /** Crashes member {@code index}: no migration, no goodbye. */
    void terminate(int index) {
        members[index].getLifecycleService().terminate();
    }

    /** Shuts member {@code index} down gracefully: its partitions migrate first. */
    void shutdown(int index) {
        members[index].shutdown();
    }

    /** Crashes every member: the cluster and its data are gone. */
    void terminateAll() {
        for (HazelcastInstance member : members) {
            if (member != null) {
                member.getLifecycleService().terminate();
            }
        }
    }

    /** Starts every member anew on the same ports, with the same cluster name, and no data. */
    void restartAll() {
        terminateAll();
        startAll();
    }

    /** A plain client of this cluster, terminated by {@link #close()}. */
    HazelcastInstance newClient() {
        ClientConfig config = new ClientConfig().setClusterName(clusterName);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.getNetworkConfig().addAddress(addresses());
        HazelcastInstance client = HazelcastClient.newHazelcastClient(config);
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    /**
     * Occupies every partition thread of every member with an operation that waits for {@link #unblockPartitions()}:
     * from then on no key operation is answered (as if the members were paused), while the members keep their data
     * and clients stay connected. Returns once every thread is occupied.
     */
    void blockPartitions() {
        CountDownLatch release = new CountDownLatch(1);
        gate = release;
        Set<String> blockers = blockerKeys();
        CountDownLatch started = new CountDownLatch(blockers.size());
        Blocker.arm(release, started);
        HazelcastInstance member = anyMember();
        for (String key : blockers) {
            member.<String, String>getMap("distlock.test.blockers").submitToKey(key, new Blocker());
        }
        try {
            if (!started.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the partition threads of " + clusterName + " were not blocked");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Lets the partition threads go: queued operations run, in order. */
    void unblockPartitions() {
        CountDownLatch release = gate;
        if (release != null) {
            release.countDown();
        }
    }

    /** One key per (member, partition thread): partition thread = partition id modulo the thread count. */
    private Set<String> blockerKeys() {
        HazelcastInstance member = anyMember();
        Set<String> covered = new HashSet<>();
        Set<String> keys = new HashSet<>();
        int running = 0;
        for (HazelcastInstance m : members) {
            if (m != null && m.getLifecycleService().isRunning()) {
                running++;
            }
        }
        for (int i = 0; i < 10_000 && covered.size() < running * PARTITION_THREADS; i++) {
            String key = "blocker-" + i;
            Partition partition = member.getPartitionService().getPartition(key);
            String slot = partition.getOwner().getUuid() + "/" + partition.getPartitionId() % PARTITION_THREADS;
            if (covered.add(slot)) {
                keys.add(key);
            }
        }
        if (covered.size() < running * PARTITION_THREADS) {
            throw new IllegalStateException("found no key for every partition thread of " + clusterName);
        }
        return keys;
    }

    private HazelcastInstance anyMember() {
        for (HazelcastInstance member : members) {
            if (member != null && member.getLifecycleService().isRunning()) {
                return member;
            }
        }
        throw new IllegalStateException("no member of " + clusterName + " is running");
    }

    @Override
    public void close() {
        unblockPartitions();
        synchronized (clients) {
            for (HazelcastInstance client : clients) {
                client.getLifecycleService().terminate();
            }
            clients.clear();
        }
        terminateAll();
    }

    private static int[] freePorts(int count) {
        int[] ports = new int[count];
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
                sockets.add(socket);
                ports[i] = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // Only a port probe: closing it cannot matter.
                }
            }
        }
        return ports;
    }

    /**
     * Holds a partition thread until released. Static state: members in this JVM run it from their own copy after
     * deserialization, so the latches must not travel with the object.
     */
    static final class Blocker implements EntryProcessor<String, String, Object> {
        private static final long serialVersionUID = 1L;
        private static volatile CountDownLatch release;
        private static volatile CountDownLatch started;

        static void arm(CountDownLatch releaseLatch, CountDownLatch startedLatch) {
            release = releaseLatch;
            started = startedLatch;
        }

        @Override
        public Object process(Map.Entry<String, String> entry) {
            CountDownLatch mine = release;
            started.countDown();
            try {
                // Bounded: a test that forgets to unblock cannot wedge the members for longer than this.
                mine.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }

        @Override
        public EntryProcessor<String, String, Object> getBackupProcessor() {
            return null;
        }
    }
}
