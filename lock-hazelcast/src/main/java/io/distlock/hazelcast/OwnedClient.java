package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.distlock.LockBackendException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Creates the Hazelcast client a manager owns, configured so that calls fail fast during an outage. */
final class OwnedClient {

    private OwnedClient() {
    }

    /**
     * A client connected to {@code clusterName} at {@code addresses}.
     *
     * <p>Why this configuration: with reconnect mode {@code ASYNC} and no cluster connect timeout, a client that loses
     * its cluster stays alive, fails calls at once ({@code HazelcastClientOfflineException}) and reconnects in the
     * background, so the manager works again after an outage without being rebuilt (clause 9.3). Mode {@code ON}
     * would block calls until the invocation timeout, and any finite cluster connect timeout shuts the client down
     * for good once it passes. The first connection is awaited here, bounded by {@code connectTimeout}, so a wrong
     * address or cluster name fails the build instead of every later call. Backup acknowledgements go through the
     * partition owner (see below), so an answer also means the backup was written.
     *
     * @throws LockBackendException if it does not connect within {@code connectTimeout}
     */
    static HazelcastInstance connect(List<String> addresses, String clusterName, String username, String password,
                                     Duration connectTimeout, Duration operationTimeout) {
        CountDownLatch connected = new CountDownLatch(1);
        ClientConfig config = new ClientConfig();
        config.setClusterName(clusterName);
        if (System.getProperty("hazelcast.logging.type") == null) {
            // distlock logs through SLF4J; so does the client it creates, unless the application chose otherwise.
            config.setProperty("hazelcast.logging.type", "slf4j");
        }
        // Our calls are bounded on our side; this ends Hazelcast's own retries of an invocation soon after.
        long invocationSeconds = Math.max(1, (operationTimeout.toMillis() + 999) / 1000);
        config.setProperty("hazelcast.client.invocation.timeout.seconds", Long.toString(invocationSeconds));
        config.getNetworkConfig().setAddresses(addresses)
                .setConnectionTimeout((int) Math.min(Integer.MAX_VALUE,
                        Math.max(1000, Math.min(operationTimeout.toMillis(), 5000))));
        // Let the partition owner answer once its backup is written, instead of the backup member acking to the
        // client: an ack sent before the client has connected to that member is lost, and the call then waits for
        // hazelcast.client.operation.backup.timeout.millis (5 s) before it completes (seen on fresh clients).
        config.setBackupAckToClientEnabled(false);
        ClientConnectionStrategyConfig strategy = config.getConnectionStrategyConfig();
        strategy.setAsyncStart(true).setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ASYNC);
        strategy.getConnectionRetryConfig().setClusterConnectTimeoutMillis(-1).setInitialBackoffMillis(100)
                .setMaxBackoffMillis(2000);
        if (username != null) {
            config.getSecurityConfig().setUsernamePasswordIdentityConfig(username, password);
        }
        config.addListenerConfig(new ListenerConfig((LifecycleListener) event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                connected.countDown();
            }
        }));
        HazelcastInstance client;
        try {
            client = HazelcastClient.newHazelcastClient(config);
        } catch (RuntimeException e) {
            throw new LockBackendException("could not create a hazelcast client for cluster '" + clusterName
                    + "' at " + addresses + ": " + e, e);
        }
        boolean interrupted = false;
        boolean ok = false;
        try {
            ok = connected.await(connectTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (!ok) {
            client.shutdown();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            throw new LockBackendException("could not connect to hazelcast cluster '" + clusterName + "' at "
                    + addresses + (interrupted ? ": interrupted" : " within " + connectTimeout)
                    + " (is the cluster name right? community members also reject clients that send credentials)");
        }
        return client;
    }
}
