package io.distlock.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The commands against a real single-member etcd on free loopback ports, its data under {@code target/}. */
class CliEtcdTest extends CliStoreTest {

    private static Path dir;
    private static Process etcd;
    private static String endpoint;

    @BeforeAll
    static void startEtcd() throws Exception {
        Files.createDirectories(Path.of("target"));
        dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "etcd-");
        String client = "http://127.0.0.1:" + TestRedis.freePort();
        String peer = "http://127.0.0.1:" + TestRedis.freePort();
        etcd = new ProcessBuilder(List.of("etcd", "--name", "cli", "--data-dir", dir.resolve("data").toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--listen-metrics-urls", "http://127.0.0.1:" + TestRedis.freePort(),
                "--initial-cluster", "cli=" + peer, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-level", "error"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("etcd.log").toFile()).start();
        endpoint = client.substring("http://".length());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!healthy(client)) {
            if (!etcd.isAlive() || System.nanoTime() - deadline > 0) {
                String log = Files.readString(dir.resolve("etcd.log"));
                stopEtcd();
                throw new IllegalStateException("etcd did not start: " + log);
            }
            Thread.sleep(100);
        }
    }

    private static boolean healthy(String client) throws IOException, InterruptedException {
        Process check = new ProcessBuilder("etcdctl", "--endpoints=" + client, "--command-timeout=1s",
                "endpoint", "health").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!check.waitFor(5, TimeUnit.SECONDS)) {
            check.destroyForcibly();
            return false;
        }
        return check.exitValue() == 0;
    }

    @AfterAll
    static void stopEtcd() throws Exception {
        if (etcd != null && etcd.isAlive()) {
            etcd.destroyForcibly();
            etcd.waitFor(10, TimeUnit.SECONDS);
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    @Override
    String uri() {
        return "etcd://" + endpoint;
    }

    /** etcd counts leases in whole seconds, and a lease shorter than a few of them is refused or cut short. */
    @Override
    String appParameters() {
        return "lease=6s&timeout=1s";
    }
}
