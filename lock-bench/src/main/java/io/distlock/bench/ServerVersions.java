package io.distlock.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The versions of the servers and clients benchmarked, for the report's header. Read in the reporting JVM (JMH runs
 * benchmarks in forks, so benchmarks cannot hand them back): clients from their jars' version classes, Redis from
 * {@code redis-server --version}. Reflection keeps this class free of compile-time dependencies on the clients.
 */
final class ServerVersions {

    private ServerVersions() {
    }

    static String describe() {
        List<String> parts = new ArrayList<>();
        command("redis-server", "--version").ifPresent(v -> parts.add("Redis " + v));
        staticCall("org.redisson.Version", "getVersion").ifPresent(v -> parts.add("Redisson " + v));
        staticCall("org.apache.zookeeper.Version", "getFullVersion").ifPresent(v -> parts.add("ZooKeeper " + v));
        packageVersion("org.apache.curator.framework.CuratorFramework").ifPresent(v -> parts.add("Curator " + v));
        packageVersion("com.hazelcast.core.HazelcastInstance").ifPresent(v -> parts.add("Hazelcast " + v));
        return parts.isEmpty() ? "in-process only" : String.join(", ", parts);
    }

    private static java.util.Optional<String> command(String... command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return java.util.Optional.empty();
            }
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            int v = out.indexOf("v=");
            return java.util.Optional.of(v < 0 ? out : out.substring(v + 2, out.indexOf(' ', v)));
        } catch (IOException e) {
            return java.util.Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return java.util.Optional.empty();
        }
    }

    private static java.util.Optional<String> staticCall(String className, String method) {
        try {
            Object value = Class.forName(className).getMethod(method).invoke(null);
            return java.util.Optional.ofNullable(value).map(Object::toString);
        } catch (ReflectiveOperationException | LinkageError e) {
            return java.util.Optional.empty();
        }
    }

    private static java.util.Optional<String> packageVersion(String className) {
        try {
            return java.util.Optional.ofNullable(Class.forName(className).getPackage().getImplementationVersion());
        } catch (ClassNotFoundException | LinkageError e) {
            return java.util.Optional.empty();
        }
    }
}
