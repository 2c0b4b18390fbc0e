package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.ExclusionTck;
import io.distlock.tck.FailFastTck;
import io.distlock.tck.FencingTck;
import io.distlock.tck.KeyTck;
import io.distlock.tck.LeaseTck;
import io.distlock.tck.ManagerLifecycleTck;
import io.distlock.tck.MissionTck;
import io.distlock.tck.OutageTck;
import io.distlock.tck.ReleaseTck;
import io.distlock.tck.TckBackend;
import io.distlock.tck.WaitingTck;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole TCK against an in-process ZooKeeper server. Each TCK manager gets its own Curator client (its own
 * session, with the session timeout taken from the lease as the manager would), so that the fault injector can expire
 * sessions on the server; the manager-owned client path is covered by {@link ZooKeeperLockManagerTest}.
 */
@DisplayName("TCK: zookeeper:// (TestingServer)")
class ZooKeeperTckTest {

    private static final ZooKeeperBackend BACKEND = new ZooKeeperBackend();

    @BeforeAll
    static void startServer() throws Exception {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        BACKEND.stop();
    }

    /** Managers on one server and namespace; outages stop the server, data loss expires every session. */
    private static final class ZooKeeperBackend implements TckBackend {
        private final String namespace = "tck-" + UUID.randomUUID();
        private final Set<CuratorFramework> clients = ConcurrentHashMap.newKeySet();
        private volatile TestingServer server;

        void start() throws Exception {
            server = ZooKeeperServers.server();
        }

        void stop() throws Exception {
            clients.forEach(CuratorFramework::close);
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
            // The session timeout of the holder: long enough for pings (every third) on a loaded 2-core machine.
            return Duration.ofMillis(1500);
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
            });
        }
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

        @Override
        public void close() {
            try {
                delegate.close();
            } finally {
                closeClient.run();
            }
        }
    }

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class FailFast extends FailFastTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Release extends ReleaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Lease extends LeaseTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class Outage extends OutageTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }

    @Nested
    class ManagerLifecycle extends ManagerLifecycleTck {
        @Override
        protected TckBackend backend() {
            return BACKEND;
        }
    }
}
