package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockInspector;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.TckBackend;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TCK fixture: managers on one in-process server and namespace, each with its own Curator client (its own
 * session, with the session timeout taken from the lease as the manager would), so that the fault injector can expire
 * sessions on the server. Outages stop the server; data loss expires every session.
 */
final class ZooKeeperTckBackend implements TckBackend {
    private final String namespace = "tck-" + UUID.randomUUID();
    private final Set<CuratorFramework> clients = ConcurrentHashMap.newKeySet();
    /** The key prefixes of the managers made, so that a foreign delete finds the node whichever prefix was used. */
    private final Set<String> prefixes = ConcurrentHashMap.newKeySet();
    private volatile TestingServer server;
    /** Another session, as an operator's zkCli would be: it deletes lock nodes behind their holders. */
    private volatile CuratorFramework operator;

    /** The server's connect string, for clients of the same deployment. */
    String connectString() {
        return server.getConnectString();
    }

    /** The namespace every manager of this fixture shares. */
    String namespace() {
        return namespace;
    }

    void start() throws Exception {
        server = ZooKeeperServers.server();
        operator = ZooKeeperServers.client(server.getConnectString(), Duration.ofSeconds(10));
    }

    void stop() throws Exception {
        clients.forEach(CuratorFramework::close);
        if (operator != null) {
            operator.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Override
    public String name() {
        return "zookeeper";
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        CuratorFramework client = ZooKeeperServers.client(server.getConnectString(), settings.lease());
        clients.add(client);
        prefixes.add(settings.keyPrefix());
        LockManager manager;
        try {
            manager = ZooKeeperLockManager.builder().client(client).namespace(namespace).settings(settings).build();
        } catch (RuntimeException e) {
            clients.remove(client);
            client.close();
            throw e;
        }
        return new ClientClosingManager(manager, () -> {
            clients.remove(client);
            client.close();
        });
    }

    @Override
    public LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1));
    }

    @Override
    public Duration shortLease() {
        // The session timeout of the holder, and the local deadline of its handles. Long enough for pings (every
        // third) on a loaded 2-core machine, and for a client whose session was expired behind its back to reconnect
        // (after a random pause of up to 1 s) and hear of the expiry before its handle's deadline passes, so that the
        // loss reads SESSION_LOST rather than "unreachable"; at most three operation timeouts (checks must fit).
        return Duration.ofSeconds(3);
    }

    @Override
    public Optional<String> lacks(Capability capability) {
        if (capability == Capability.FIXED_LEASE) {
            return Optional.of("ZooKeeper locks are ephemeral nodes that live as long as their session; a lock "
                    + "cannot expire while its holder's session is alive");
        }
        return Optional.empty();
    }

    @Override
    public Optional<Faults> faults() {
        return Optional.of(new Faults() {
            @Override
            public void startOutage() {
                try {
                    server.stop();
                } catch (Exception e) {
                    throw new IllegalStateException("could not stop the ZooKeeper server", e);
                }
            }

            @Override
            public void endOutage() {
                try {
                    // Same port, same data directory: sessions and nodes survive, as after a real restart.
                    server.restart();
                } catch (Exception e) {
                    throw new IllegalStateException("could not restart the ZooKeeper server", e);
                }
            }

            @Override
            public void loseAllLocks() {
                for (CuratorFramework client : clients) {
                    try {
                        ZooKeeperServers.expireSession(client, server.getConnectString());
                    } catch (Exception e) {
                        throw new IllegalStateException("could not expire a session", e);
                    }
                }
            }

            @Override
            public void deleteLock(String key) {
                // As `deleteall /<namespace>/locks/<node>` from zkCli would: by path, any version, another session.
                for (String prefix : prefixes) {
                    String path = "/" + namespace + "/locks/" + ZnodeNames.encode(prefix + key);
                    try {
                        operator.delete().forPath(path);
                    } catch (org.apache.zookeeper.KeeperException.NoNodeException e) {
                        // Not held under this prefix.
                    } catch (Exception e) {
                        throw new IllegalStateException("could not delete " + path, e);
                    }
                }
            }
        });
    }

    /** Closes the test's client after the manager, as a caller that passed its own client does. */
    private record ClientClosingManager(LockManager delegate, Runnable closeClient) implements LockManager {
        @Override
        public Optional<LockHandle> tryLock(String key) {
            return delegate.tryLock(key);
        }

        @Override
        public Optional<LockHandle> tryLock(String key, Duration wait) throws InterruptedException {
            return delegate.tryLock(key, wait);
        }

        // Forwarded, so that the asynchronous TCK runs the backend's own asynchronous path and the inspection TCK
        // the backend's inspection, not LockManager's defaults.
        @Override
        public CompletionStage<Optional<LockHandle>> tryLockAsync(String key) {
            return delegate.tryLockAsync(key);
        }

        @Override
        public CompletionStage<Optional<LockHandle>> tryLockAsync(String key, Duration wait) {
            return delegate.tryLockAsync(key, wait);
        }

        @Override
        public LockInspector inspector() {
            return delegate.inspector();
        }

        @Override
        public void close() {
            try {
                delegate.close();
            } finally {
                closeClient.run();
            }
        }
    }
}
