package io.distlock.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Hazelcast cluster in this JVM whose member-to-member links can be cut: a split brain on loopback, with public
 * configuration only. Each member binds 127.0.0.1 on its own port but advertises the port of a TCP relay in this
 * class ({@code public-address}), so every member-to-member connection runs through a relay; and each member opens
 * its outgoing connections from its own set of local ports ({@code outbound-ports}), so a relay knows which member a
 * connection comes from. {@link #split} closes the relayed connections between the sides and refuses new ones;
 * {@link #heal} lets them through again, and Hazelcast's split-brain handler merges the sides. Managers on the members
 * themselves (embedded) stay on their member's side. {@link #close()} terminates every member and relay.
 *
 * <p>Timing for tests: heartbeats every second, a member is dropped after 4 s without one (or sooner, when its
 * connections keep failing), and each side's master looks for the other side every 2 s to merge.
 */
final class PartitionableCluster implements AutoCloseable {

    private static final int OUTBOUND_PORTS = 10;

    private final String clusterName;
    private final int size;
    private final int[] memberPorts;
    private final Relay[] relays;
    private final int[][] outboundPorts;
    private final HazelcastInstance[] members;
    /** The side of each member while split; null when whole. */
    private volatile int[] sides;

    private PartitionableCluster(String hint, int size, String protectedMap) {
        this.clusterName = "distlock-" + hint + "-" + UUID.randomUUID();
        this.size = size;
        int[] ports = freePorts(size * (2 + OUTBOUND_PORTS));
        this.memberPorts = Arrays.copyOfRange(ports, 0, size);
        this.outboundPorts = new int[size][];
        for (int i = 0; i < size; i++) {
            outboundPorts[i] = Arrays.copyOfRange(ports, 2 * size + i * OUTBOUND_PORTS,
                    2 * size + (i + 1) * OUTBOUND_PORTS);
        }
        this.relays = new Relay[size];
        this.members = new HazelcastInstance[size];
        try {
            for (int i = 0; i < size; i++) {
                relays[i] = new Relay(i, ports[size + i], memberPorts[i]);
            }
            for (int i = 0; i < size; i++) {
                members[i] = Hazelcast.newHazelcastInstance(config(i, protectedMap));
            }
            awaitSizes(Duration.ofSeconds(60), allOf(size));
            // Assign the partitions before the first lock call, as a running cluster has them.
            members[0].getMap("distlock.test.warm-up").put("warm-up", "ok");
            Awaitility.await(clusterName + " is safe").atMost(Duration.ofSeconds(30))
                    .until(() -> members[0].getPartitionService().isClusterSafe());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Starts {@code size} members; with {@code protectedMap} non-null, that map gets split-brain protection with a
     * minimum cluster size of a majority, as the README recommends for the lock map.
     */
    static PartitionableCluster start(String hint, int size, String protectedMap) {
        return new PartitionableCluster(hint, size, protectedMap);
    }

    private Config config(int index, String protectedMap) {
        Config config = new Config().setClusterName(clusterName).setInstanceName(clusterName + "-" + index);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.socket.client.bind.any", "false");
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.partition.count", "23");
        config.setProperty("hazelcast.partition.operation.thread.count", "2");
        config.setProperty("hazelcast.generic.operation.thread.count", "2");
        config.setProperty("hazelcast.event.thread.count", "2");
        config.setProperty("hazelcast.io.thread.count", "1");
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "4");
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "2");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "2");
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "5");
        config.getJetConfig().setEnabled(false);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(memberPorts[index]).setPortAutoIncrement(false).setReuseAddress(true);
        network.setPublicAddress("127.0.0.1:" + relays[index].port);
        for (int port : outboundPorts[index]) {
            network.addOutboundPort(port);
        }
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true);
        for (Relay relay : relays) {
            join.getTcpIpConfig().addMember("127.0.0.1:" + relay.port);
        }
        if (protectedMap != null) {
            config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig("distlock-majority", true,
                    size / 2 + 1));
            config.addMapConfig(new MapConfig(protectedMap).setSplitBrainProtectionName("distlock-majority"));
        }
        return config;
    }

    String clusterName() {
        return clusterName;
    }

    HazelcastInstance member(int index) {
        return members[index];
    }

    /**
     * Cuts every link between the members in {@code side} and the others, and waits until each side sees only its
     * own members.
     */
    void split(int... side) {
        Set<Integer> first = new HashSet<>();
        for (int i : side) {
            first.add(i);
        }
        int[] assignment = new int[size];
        for (int i = 0; i < size; i++) {
            assignment[i] = first.contains(i) ? 0 : 1;
        }
        sides = assignment;
        for (Relay relay : relays) {
            relay.cutCrossing();
        }
        int[] expected = new int[size];
        for (int i = 0; i < size; i++) {
            expected[i] = first.contains(i) ? first.size() : size - first.size();
        }
        awaitSizes(Duration.ofSeconds(60), expected);
    }

    /** Lets member-to-member links through again and waits until the sides have merged into one cluster. */
    void heal() {
        sides = null;
        awaitSizes(Duration.ofSeconds(90), allOf(size));
        Awaitility.await(clusterName + " is safe after the merge").atMost(Duration.ofSeconds(60))
                .ignoreExceptions().until(() -> members[0].getPartitionService().isClusterSafe());
    }

    private static int[] allOf(int size) {
        int[] expected = new int[size];
        Arrays.fill(expected, size);
        return expected;
    }

    private void awaitSizes(Duration atMost, int[] expected) {
        Awaitility.await(clusterName + " members see " + Arrays.toString(expected)).atMost(atMost)
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
                    for (int i = 0; i < size; i++) {
                        if (members[i].getCluster().getMembers().size() != expected[i]) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    private boolean blocked(int from, int to) {
        int[] current = sides;
        return current != null && from >= 0 && current[from] != current[to];
    }

    private int memberOfOutboundPort(int port) {
        for (int i = 0; i < size; i++) {
            for (int p : outboundPorts[i]) {
                if (p == port) {
                    return i;
                }
            }
        }
        return -1;
    }

    @Override
    public void close() {
        for (HazelcastInstance member : members) {
            if (member != null) {
                member.getLifecycleService().terminate();
            }
        }
        for (Relay relay : relays) {
            if (relay != null) {
                relay.close();
            }
        }
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

    /** Relays connections to one member, from the member whose outbound port they come from. */
    private final class Relay implements AutoCloseable {
        final int port;
        private final int target;
        private final int memberPort;
        private final ServerSocket server;
        /** Open relayed connections: the accepted socket, the member it came from (-1: not a member). */
        private final ConcurrentHashMap<Socket, Integer> open = new ConcurrentHashMap<>();

        Relay(int target, int port, int memberPort) {
            this.target = target;
            this.port = port;
            this.memberPort = memberPort;
            try {
                this.server = new ServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread acceptor = new Thread(this::acceptLoop, "relay-" + target);
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                Socket accepted;
                try {
                    accepted = server.accept();
                } catch (IOException e) {
                    return; // closed
                }
                int from = memberOfOutboundPort(accepted.getPort());
                if (blocked(from, target)) {
                    closeQuietly(accepted);
                    continue;
                }
                try {
                    Socket upstream = new Socket(InetAddress.getByName("127.0.0.1"), memberPort);
                    open.put(accepted, from);
                    pipe(accepted, upstream);
                    pipe(upstream, accepted);
                } catch (IOException e) {
                    closeQuietly(accepted);
                }
            }
        }

        private void pipe(Socket in, Socket out) {
            Thread thread = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                try (InputStream input = in.getInputStream(); OutputStream output = out.getOutputStream()) {
                    int n;
                    while ((n = input.read(buffer)) >= 0) {
                        output.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    // One side closed or was cut: close both.
                } finally {
                    closeQuietly(in);
                    closeQuietly(out);
                    open.remove(in);
                    open.remove(out);
                }
            }, "relay-" + target + "-pipe");
            thread.setDaemon(true);
            thread.start();
        }

        void cutCrossing() {
            open.forEach((socket, from) -> {
                if (blocked(from, target)) {
                    closeQuietly(socket);
                }
            });
        }

        @Override
        public void close() {
            closeQuietly(server);
            open.keySet().forEach(PartitionableCluster::closeQuietly);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // Tearing down a relay: nothing to do about a socket that does not close cleanly.
        }
    }
}
