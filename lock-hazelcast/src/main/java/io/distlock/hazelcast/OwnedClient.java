package io.distlock.hazelcast;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.client.impl.clientside.HazelcastClientProxy;
import com.hazelcast.client.impl.connection.ClientConnectionManager;
import com.hazelcast.client.impl.connection.tcp.TcpClientConnectionManager;
import com.hazelcast.client.impl.management.ClientConnectionProcessListener;
import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

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
     * address fails the build instead of every later call; a member that answers but refuses the client (cluster
     * name, credentials) fails it at once, as a configuration error. Backup acknowledgements go through the partition
     * owner (see below), so an answer also means the backup was written.
     *
     * @throws LockConfigurationException if a member refused the client
     * @throws LockBackendException if it does not connect within {@code connectTimeout}
     */
    static HazelcastInstance connect(List<String> addresses, String clusterName, String username, String password,
                                     Duration connectTimeout, Duration operationTimeout) {
        FirstConnection first = new FirstConnection();
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
        config.addListenerConfig(new ListenerConfig(first));
        HazelcastInstance client;
        // Creating the first client of a JVM took 0.9 s here (class loading): it counts against the timeout.
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        try {
            client = HazelcastClient.newHazelcastClient(config);
        } catch (RuntimeException e) {
            throw new LockBackendException("could not create a hazelcast client for cluster '" + clusterName
                    + "' at " + addresses + ": " + e, e);
        }
        boolean interrupted = false;
        boolean answered = false;
        try {
            answered = first.done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (answered && first.refusedBy == null) {
            awaitEveryMember(client, deadline);
            return client;
        }
        // terminate, not shutdown: a client that never connected has nothing to hand over, and must not linger.
        client.getLifecycleService().terminate();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (first.refusedBy != null) {
            throw new LockConfigurationException(refusal(first, clusterName, username != null));
        }
        throw new LockBackendException("could not connect to hazelcast cluster '" + clusterName + "' at "
                + addresses + (interrupted ? ": interrupted" : " within " + connectTimeout)
                + ": no member answered (are the addresses and ports right, and the members running?)");
    }

    /**
     * Waits, until {@code deadline} and at best, until the client has a connection to every member. A smart client
     * connects to the other members in the background after its first connection, by a task that first runs a second
     * later, and an entry listener registered before that misses the events of those members' partitions: measured,
     * a waiter on a fresh manager of a 2-member cluster was woken only by the core's one-second re-check, and the
     * second connection came 0.8-1.0 s after the first. So the connections are started at once, off this thread (a
     * member that does not answer must not hold the build past its deadline). Past the deadline the manager starts
     * anyway: events are best effort, and the re-check covers them.
     */
    private static void awaitEveryMember(HazelcastInstance client, long deadline) {
        try {
            if (!(client instanceof HazelcastClientProxy proxy)) {
                return;
            }
            ClientConnectionManager connections = proxy.client.getConnectionManager();
            if (connectedToEveryMember(client, connections)) {
                return;
            }
            if (connections instanceof TcpClientConnectionManager tcp) {
                Thread connector = new Thread(() -> {
                    try {
                        tcp.tryConnectToAllClusterMembers(true);
                    } catch (RuntimeException e) {
                        // The client's own background task keeps trying.
                    }
                }, "distlock-hazelcast-connect");
                connector.setDaemon(true);
                connector.start();
            }
            while (deadline - System.nanoTime() > 0 && !Thread.currentThread().isInterrupted()) {
                if (connectedToEveryMember(client, connections)) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        } catch (LinkageError | RuntimeException e) {
            // Another Hazelcast version's internals: start without waiting, as a caller's client does.
        }
    }

    private static boolean connectedToEveryMember(HazelcastInstance client, ClientConnectionManager connections) {
        for (Member member : client.getCluster().getMembers()) {
            if (connections.getActiveConnection(member.getUuid()) == null) {
                return false;
            }
        }
        return true;
    }

    /**
     * The plain first line for a refusal. Members answer a wrong cluster name and rejected credentials with the same
     * status ({@code CREDENTIALS_FAILED}), so the message names what this client sent, never the password.
     */
    private static String refusal(FirstConnection first, String clusterName, boolean withCredentials) {
        if (first.notAllowed) {
            return "the hazelcast member at " + first.refusedBy + " does not allow this client in cluster '"
                    + clusterName + "' (the cluster's client filtering or its state refuses it)";
        }
        if (withCredentials) {
            return "the hazelcast member at " + first.refusedBy + " refused this client's credentials or its cluster "
                    + "name '" + clusterName + "': check both; a member without security (community edition) "
                    + "refuses every client that sends credentials";
        }
        return "the hazelcast member at " + first.refusedBy + " refused cluster name '" + clusterName
                + "': the members run under another cluster name (or have security enabled and want credentials)";
    }

    /** Counts down on the first connection, or on the first member that answers and refuses the client. */
    private static final class FirstConnection implements ClientConnectionProcessListener, LifecycleListener {
        final CountDownLatch done = new CountDownLatch(1);
        volatile Address refusedBy;
        volatile boolean notAllowed;

        @Override
        public void stateChanged(LifecycleEvent event) {
            if (event.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                done.countDown();
            }
        }

        @Override
        public void credentialsFailed(Address address) {
            refused(address, false);
        }

        @Override
        public void clientNotAllowedInCluster(Address address) {
            refused(address, true);
        }

        private void refused(Address address, boolean notAllowedInCluster) {
            if (done.getCount() > 0 && refusedBy == null) {
                notAllowed = notAllowedInCluster;
                refusedBy = address;
                done.countDown();
            }
        }
    }
}
