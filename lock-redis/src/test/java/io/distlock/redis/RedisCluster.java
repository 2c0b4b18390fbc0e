package io.distlock.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private Redis Cluster of three masters, without replicas unless asked for, on free loopback ports (each node also needs its port
 * + 10000 free for the cluster bus), created with {@code redis-cli --cluster create}. {@link #close()} stops every
 * node.
 */
final class RedisCluster implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);

    private final List<RedisServer> nodes = new ArrayList<>();

    private RedisCluster() {
    }

    static RedisCluster start() {
        return start(0, 5000);
    }

    /**
     * Three masters with {@code replicasPerMaster} replicas each; a node that does not answer for
     * {@code nodeTimeoutMillis} is failed over (when it has a replica).
     */
    static RedisCluster start(int replicasPerMaster, int nodeTimeoutMillis) {
        RedisCluster cluster = new RedisCluster();
        try {
            for (int i = 0; i < 3 * (1 + replicasPerMaster); i++) {
                int port = clusterPort();
                cluster.nodes.add(RedisServer.startOnPort(port, "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes-" + port + ".conf", "--cluster-node-timeout",
                        Integer.toString(nodeTimeoutMillis)));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            cluster.nodes.forEach(n -> create.add(n.address()));
            create.addAll(List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
            RedisServer.run(create);
            cluster.awaitReady();
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** A free port whose cluster bus port (+10000) is also free. */
    private static int clusterPort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = RedisServer.freePort();
            if (port + 10000 <= 65535) {
                try (java.net.ServerSocket bus = new java.net.ServerSocket(port + 10000, 1,
                        java.net.InetAddress.getLoopbackAddress())) {
                    return port;
                } catch (java.io.IOException e) {
                    // Bus port taken: try another.
                }
            }
        }
        throw new IllegalStateException("no free port pair for a cluster node");
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!nodes.stream().allMatch(n -> n.cli("CLUSTER", "INFO").contains("cluster_state:ok"))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the cluster did not become ready: " + nodes.get(0).cli("CLUSTER",
                        "INFO"));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** The node that is master of {@code slot} now, as the cluster sees it. */
    RedisServer masterOf(int slot) {
        return nodeWhere(slot, true);
    }

    /** A replica of the master of {@code slot}. */
    RedisServer replicaOf(int slot) {
        return nodeWhere(slot, false);
    }

    private RedisServer nodeWhere(int slot, boolean master) {
        String masterId = null;
        String listing = null;
        for (RedisServer node : nodes) {
            try {
                listing = node.cli("CLUSTER", "NODES");
                break;
            } catch (IllegalStateException e) {
                // A killed node: ask the next.
            }
        }
        List<String[]> lines = listing.lines().map(l -> l.split(" ")).toList();
        for (String[] f : lines) {
            if (f[2].contains("master") && !f[2].contains("fail")) {
                for (int i = 8; i < f.length; i++) {
                    String[] range = f[i].split("-");
                    int from = Integer.parseInt(range[0]);
                    int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        masterId = f[0];
                        if (master) {
                            return byAddress(f[1]);
                        }
                    }
                }
            }
        }
        for (String[] f : lines) {
            if (f[3].equals(masterId) && !f[2].contains("fail")) {
                return byAddress(f[1]);
            }
        }
        throw new IllegalStateException("no " + (master ? "master" : "replica") + " for slot " + slot + ":\n"
                + listing);
    }

    private RedisServer byAddress(String field) {
        int port = Integer.parseInt(field.substring(field.indexOf(':') + 1, field.indexOf('@')));
        return nodes.stream().filter(n -> n.port() == port).findFirst().orElseThrow();
    }

    /** Every node, masters and replicas. */
    List<RedisServer> nodes() {
        return nodes;
    }

    String[] addresses() {
        return nodes.stream().map(RedisServer::address).toArray(String[]::new);
    }

    /** Faults of the whole cluster: every node paused and resumed together, FLUSHALL on every node. */
    io.distlock.tck.TckBackend.Faults faults() {
        return new io.distlock.tck.TckBackend.Faults() {
            @Override
            public void startOutage() {
                nodes.forEach(RedisServer::pause);
            }

            @Override
            public void endOutage() {
                nodes.forEach(RedisServer::resume);
            }

            @Override
            public void loseAllLocks() {
                nodes.forEach(n -> n.cli("FLUSHALL"));
            }

            @Override
            public void deleteLock(String key) {
                // -c follows the MOVED redirection to the master of the key's slot, as an operator's redis-cli would.
                nodes.get(0).cli("-c", "DEL", RedisKeys.lockKey(RedisTckBackend.PREFIX + key));
            }
        };
    }

    @Override
    public void close() {
        nodes.forEach(RedisServer::close);
    }
}
