package io.distlock.demo;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.BuildInfoProvider;
import io.distlock.LockManager;
import io.distlock.hazelcast.HazelcastLockManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The default deployment: one embedded Hazelcast member per replica, all in this JVM, forming one real cluster over
 * TCP on 127.0.0.1 (the lock map is partitioned across the members and backed up, so a duplicate arriving on another
 * replica than the holder's costs a real network hop to the key's owner). Nothing to install, nothing reachable from
 * outside: members bind to the loopback address only, on free ports chosen at start, with multicast and cloud
 * auto-detection off, phone-home off and a cluster name of their own, so two demos on one machine never meet.
 */
final class EmbeddedHazelcast implements Deployment {

    private final List<HazelcastInstance> members;
    private final List<LockManager> managers;
    private final String description;

    private EmbeddedHazelcast(List<HazelcastInstance> members, List<LockManager> managers) {
        this.members = List.copyOf(members);
        this.managers = List.copyOf(managers);
        this.description = "embedded Hazelcast " + BuildInfoProvider.getBuildInfo().getVersion() + ": "
                + members.size() + (members.size() == 1 ? " member" : " members")
                + " on 127.0.0.1, one per replica";
    }

    /**
     * Starts {@code count} members that form one cluster and builds a manager on each.
     *
     * @throws IllegalStateException if the members could not start or did not form one cluster
     */
    static EmbeddedHazelcast start(int count) {
        String clusterName = "distlock-demo-" + UUID.randomUUID();
        List<Integer> ports = freePorts(count);
        List<String> addresses = new ArrayList<>(count);
        for (int port : ports) {
            addresses.add("127.0.0.1:" + port);
        }
        List<HazelcastInstance> members = new ArrayList<>(count);
        List<LockManager> managers = new ArrayList<>(count);
        try {
            // The first member alone, so it is the master the others join; then the others together, which is
            // quicker than one by one and safe because they all join the same master.
            members.add(Hazelcast.newHazelcastInstance(config(clusterName, 0, ports.get(0), addresses)));
            List<CompletableFuture<HazelcastInstance>> joining = new ArrayList<>();
            for (int i = 1; i < count; i++) {
                Config config = config(clusterName, i, ports.get(i), addresses);
                joining.add(CompletableFuture.supplyAsync(() -> Hazelcast.newHazelcastInstance(config)));
            }
            RuntimeException failure = null;
            for (CompletableFuture<HazelcastInstance> member : joining) {
                try {
                    members.add(member.join());
                } catch (CompletionException e) {
                    RuntimeException cause = e.getCause() instanceof RuntimeException runtime ? runtime
                            : new IllegalStateException("a Hazelcast member did not start", e.getCause());
                    if (failure == null) {
                        failure = cause;
                    } else {
                        failure.addSuppressed(cause);
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
            int size = members.get(0).getCluster().getMembers().size();
            if (size != count) {
                throw new IllegalStateException("started " + count + " Hazelcast members but the cluster has " + size);
            }
            for (HazelcastInstance member : members) {
                managers.add(HazelcastLockManager.builder().instance(member).build());
            }
            return new EmbeddedHazelcast(members, managers);
        } catch (RuntimeException e) {
            closeAll(managers, members);
            throw e;
        }
    }

    private static Config config(String clusterName, int index, int port, List<String> addresses) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setInstanceName(clusterName + "-" + index);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "slf4j");
        // Start at once: the default waits 5 s for other members before electing a master.
        config.setProperty("hazelcast.wait.seconds.before.join", "0");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(addresses);
        return config;
    }

    /** Ports free right now on the loopback address; held together so that they are distinct. */
    private static List<Integer> freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            List<Integer> ports = new ArrayList<>(count);
            for (ServerSocket socket : sockets) {
                ports.add(socket.getLocalPort());
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1 for a Hazelcast member", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // Closing a listening socket that never accepted cannot lose anything; the port is free again.
                }
            }
        }
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public LockManager manager(int replica) {
        return managers.get(replica);
    }

    @Override
    public void close() {
        closeAll(managers, members);
    }

    private static void closeAll(List<LockManager> managers, List<HazelcastInstance> members) {
        for (LockManager manager : managers) {
            try {
                manager.close();
            } catch (RuntimeException e) {
                System.err.println("warning: closing a lock manager failed: " + e);
            }
        }
        // terminate(), not shutdown(): the demo's data need not migrate to the survivors before a member leaves,
        // and a graceful shutdown of each member in turn would cost seconds.
        for (HazelcastInstance member : members) {
            try {
                member.getLifecycleService().terminate();
            } catch (RuntimeException e) {
                System.err.println("warning: stopping a Hazelcast member failed: " + e);
            }
        }
    }
}
