package io.distlock.demo;

import io.distlock.LockManager;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

import java.io.IOException;
import java.net.URI;
import java.util.Map;

/**
 * {@code --backend zookeeper://embedded}: a standalone ZooKeeper server started in the demo's JVM on 127.0.0.1 and
 * a free port (Curator's test server, data in a temporary directory deleted on close), with one manager and client
 * per replica connected to it over loopback TCP exactly as to an external server. For trying the ZooKeeper backend
 * without installing ZooKeeper.
 */
final class EmbeddedZooKeeper implements Deployment {

    /** The host name in a {@code zookeeper://} URI that asks for the embedded server. */
    static final String HOST = "embedded";

    private final TestingServer server;
    private final UriDeployment replicas;

    private EmbeddedZooKeeper(TestingServer server, UriDeployment replicas) {
        this.server = server;
        this.replicas = replicas;
    }

    /** Whether {@code uri} asks for the embedded server. */
    static boolean isRequested(URI uri) {
        return "zookeeper".equalsIgnoreCase(uri.getScheme()) && HOST.equalsIgnoreCase(uri.getHost());
    }

    /**
     * Starts the server, then {@code replicas} managers on it; the URI's path and query (namespace, parameters) are
     * kept.
     *
     * @throws IllegalStateException if the server could not start
     */
    static EmbeddedZooKeeper start(URI uri, int replicas) {
        System.setProperty("zookeeper.admin.enableServer", "false");
        TestingServer server;
        try {
            server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                    Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        } catch (Exception e) {
            throw new IllegalStateException("the embedded ZooKeeper server did not start: " + e, e);
        }
        try {
            URI real = URI.create("zookeeper://127.0.0.1:" + server.getPort()
                    + (uri.getRawPath() == null ? "" : uri.getRawPath())
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
            return new EmbeddedZooKeeper(server, UriDeployment.open(real, replicas));
        } catch (RuntimeException e) {
            closeQuietly(server);
            throw e;
        }
    }

    @Override
    public String description() {
        return "embedded ZooKeeper server in this JVM on 127.0.0.1:" + server.getPort()
                + ", one LockManager (and client) per replica";
    }

    @Override
    public LockManager manager(int replica) {
        return replicas.manager(replica);
    }

    @Override
    public void close() {
        replicas.close();
        closeQuietly(server);
    }

    private static void closeQuietly(TestingServer server) {
        try {
            server.close();
        } catch (IOException | RuntimeException e) {
            // Closing must not hide the report; the server's temporary directory is left behind at worst.
            System.err.println("warning: stopping the embedded ZooKeeper server failed: " + e);
        }
    }
}
