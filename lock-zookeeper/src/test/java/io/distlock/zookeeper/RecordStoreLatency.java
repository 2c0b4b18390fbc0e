package io.distlock.zookeeper;

import io.distlock.LockSettings;
import io.distlock.idempotency.spi.RecordStore;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;

import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;

/**
 * Latency of the record store's operations against the raw primitive they are made of (one in-process server, one
 * client, one operation at a time), as median and p90 in µs. A harness, not a test: performance belongs here, not
 * in assertions. Run as in the README; the argument is the number of operations per row (default 2000).
 */
final class RecordStoreLatency {

    private RecordStoreLatency() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        try (TestingServer server = ZooKeeperServers.server();
             CuratorFramework client = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(30));
             RecordStore store = ZooKeeperRecordStore.builder().client(client).namespace("bench")
                     .settings(LockSettings.defaults()).sweepInterval(Duration.ZERO).build()) {
            byte[] value = new byte[200];
            Duration ttl = Duration.ofMinutes(10);
            String run = UUID.randomUUID().toString();
            client.create().creatingParentsIfNeeded().forPath("/raw/" + run);
            // Warm-up: class loading, JIT, the store's first clock write.
            for (int i = 0; i < 500; i++) {
                store.putIfAbsent("warm-" + i, value, ttl);
                store.get("warm-" + i);
            }
            report("putIfAbsent, new key (store)", n, i -> store.putIfAbsent("p-" + run + i, value, ttl));
            report("create, new node (raw curator)", n, i -> client.create().withMode(CreateMode.PERSISTENT)
                    .forPath("/raw/" + run + "/p" + i, value));
            report("putIfAbsent, live key (store)", n, i -> store.putIfAbsent("p-" + run + i, value, ttl));
            report("get, live key: a replay (store)", n, i -> store.get("p-" + run + i));
            report("getData (raw curator)", n, i -> client.getData().forPath("/raw/" + run + "/p" + i));
            byte[] consumed = {2};
            report("replace: consume a token (store)", n, i -> store.replace("p-" + run + i, value, consumed, ttl));
            report("getData + setData(version) (raw)", n, i -> {
                org.apache.zookeeper.data.Stat stat = new org.apache.zookeeper.data.Stat();
                client.getData().storingStatIn(stat).forPath("/raw/" + run + "/p" + i);
                client.setData().withVersion(stat.getVersion()).forPath("/raw/" + run + "/p" + i, consumed);
            });
        }
    }

    private interface Op {
        void run(int i) throws Exception;
    }

    private static void report(String what, int n, Op op) throws Exception {
        long[] micros = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            op.run(i);
            micros[i] = (System.nanoTime() - start) / 1000;
        }
        Arrays.sort(micros);
        System.out.printf("%-36s median %5d µs   p90 %5d µs%n", what, micros[n / 2], micros[n * 9 / 10]);
    }
}
