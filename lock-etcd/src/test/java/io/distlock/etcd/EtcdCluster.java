package io.distlock.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Cluster facts for tests, asked of one member through {@code etcdctl} (leadership is not in the health check). */
final class EtcdCluster {

    private EtcdCluster() {
    }

    /** Whether {@code member} is the leader, by its own {@code endpoint status}. */
    static boolean isLeader(EtcdServer member) {
        String out = etcdctl(member, "endpoint", "status", "-w", "fields");
        String id = field(out, "\"MemberID\"");
        String leader = field(out, "\"Leader\"");
        return id != null && id.equals(leader);
    }

    private static String field(String out, String name) {
        for (String line : out.split("\n")) {
            if (line.startsWith(name)) {
                return line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return null;
    }

    static String etcdctl(EtcdServer member, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of("etcdctl", "--endpoints", member.endpoint(),
                "--command-timeout", "1s", "--dial-timeout", "1s"));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("ETCDCTL_API", "3");
            Process p = builder.start();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command + " (is etcd-client installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
