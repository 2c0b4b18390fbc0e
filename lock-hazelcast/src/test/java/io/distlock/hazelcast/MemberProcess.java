package io.distlock.hazelcast;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Hazelcast member in its own JVM, started from the test class path, so a test can stop and continue it with
 * SIGSTOP/SIGCONT as an operator's pause, a GC pause or a frozen VM would. {@link #main} is the member process: it
 * joins the cluster named on its command line on 127.0.0.1, prints {@code READY <uuid>}, and exits when its standard
 * input closes (the test died) or on {@link #close()}. Linux only (uses {@code kill}).
 */
final class MemberProcess implements AutoCloseable {

    private final Process process;
    private final String uuid;

    private MemberProcess(Process process, String uuid) {
        this.process = process;
        this.uuid = uuid;
    }

    /**
     * Starts a member of {@code clusterName} on {@code port}, joining {@code members} ({@code 127.0.0.1:port}), with
     * the given Hazelcast properties ({@code name=value}).
     */
    static MemberProcess start(String clusterName, int port, List<String> members, List<String> properties,
                               Path log) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-XX:+UseSerialGC");
        command.add("--add-modules");
        command.add("java.se");
        command.add("--add-exports");
        command.add("java.base/jdk.internal.ref=ALL-UNNAMED");
        for (String open : List.of("java.base/java.lang", "java.base/sun.nio.ch", "java.management/sun.management",
                "jdk.management/com.sun.management.internal")) {
            command.add("--add-opens");
            command.add(open + "=ALL-UNNAMED");
        }
        command.add("-Dhazelcast.phone.home.enabled=false");
        command.add("-Dhazelcast.local.localAddress=127.0.0.1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(MemberProcess.class.getName());
        command.add(clusterName);
        command.add(Integer.toString(port));
        command.add(String.join(",", members));
        command.addAll(properties);
        Process process = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        String line;
        try {
            while ((line = out.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    return new MemberProcess(process, line.substring("READY ".length()).trim());
                }
                if (System.nanoTime() - deadline > 0) {
                    break;
                }
            }
        } catch (IOException e) {
            process.destroyForcibly();
            throw e;
        }
        process.destroyForcibly();
        throw new IllegalStateException("member process did not start; see " + log + ": "
                + (Files.exists(log) ? Files.readString(log) : ""));
    }

    String uuid() {
        return uuid;
    }

    void stop() throws IOException, InterruptedException {
        signal("STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        if (process.isAlive()) {
            signal("CONT"); // a stopped process cannot die of SIGTERM until continued
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The member process: {@code clusterName port member,member,... [name=value ...]}. */
    public static void main(String[] args) throws IOException {
        Config config = new Config().setClusterName(args[0]);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.local.localAddress", "127.0.0.1");
        config.setProperty("hazelcast.socket.bind.any", "false");
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            config.setProperty(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        config.getJetConfig().setEnabled(false);
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(Integer.parseInt(args[1])).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true);
        for (String member : args[2].split(",")) {
            join.getTcpIpConfig().addMember(member);
        }
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
        System.out.println("READY " + member.getCluster().getLocalMember().getUuid());
        System.out.flush();
        // Lives as long as the test holds the pipe open.
        while (System.in.read() >= 0) {
            // nothing to read: the test never writes
        }
        member.getLifecycleService().terminate();
        System.exit(0);
    }
}
