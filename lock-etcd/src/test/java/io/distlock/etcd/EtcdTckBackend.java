package io.distlock.etcd;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.TckBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The TCK fixture: one private etcd server, and managers ("replicas") in one namespace, all on one jetcd client the
 * fixture owns (each manager still has its own lease and owner ids, so they exclude each other as separate processes
 * would; the manager-owned client is covered by {@link EtcdLockManagerTest}). Outages pause the server (SIGSTOP);
 * losing every lock revokes the leases of every lock key, as an expiry would.
 */
final class EtcdTckBackend implements TckBackend {

    private final String namespace = "tck-" + UUID.randomUUID();
    private volatile EtcdServer server;
    private volatile Client client;

    void start() {
        server = EtcdServer.start();
        client = Client.builder().endpoints("http://" + server.endpoint()).build();
        // The first call of a JVM loads jetcd's gRPC and Vert.x machinery (over a second, longer on a loaded
        // machine): done here, so that no test's operation timeout pays for it.
        try {
            client.getKVClient().get(ByteSequence.from("/", StandardCharsets.UTF_8)).get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            stop();
            throw new IllegalStateException("the test client could not reach " + server, e);
        }
    }

    void stop() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    EtcdServer server() {
        return server;
    }

    Client client() {
        return client;
    }

    String namespace() {
        return namespace;
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        return EtcdLockManager.builder().client(client).namespace(namespace).settings(settings).build();
    }

    @Override
    public Duration shortLease() {
        // etcd's smallest TTL with its default timing (15 heartbeats of 100 ms, rounded up to seconds).
        return Duration.ofSeconds(2);
    }

    @Override
    public Optional<Faults> faults() {
        return Optional.of(new Faults() {
            @Override
            public void startOutage() {
                server.pause();
            }

            @Override
            public void endOutage() {
                server.resume();
            }

            @Override
            public void loseAllLocks() {
                revokeLockLeases(client, namespace);
            }

            @Override
            public void deleteLock(String key) {
                ByteSequence etcdKey = ByteSequence.from("/" + namespace + "/locks/" + settings().keyPrefix() + key,
                        StandardCharsets.UTF_8);
                try {
                    client.getKVClient().delete(etcdKey).get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException("could not delete the lock of " + key, e);
                }
            }
        });
    }

    /** Revokes the lease of every lock key in {@code namespace}: the keys go, as when their lease expires. */
    static void revokeLockLeases(Client client, String namespace) {
        ByteSequence prefix = ByteSequence.from("/" + namespace + "/locks/", StandardCharsets.UTF_8);
        try {
            Set<Long> leases = new TreeSet<>();
            for (KeyValue kv : client.getKVClient().get(prefix, GetOption.builder().isPrefix(true).build())
                    .get(10, TimeUnit.SECONDS).getKvs()) {
                if (kv.getLease() != 0) {
                    leases.add(kv.getLease());
                }
            }
            for (long lease : leases) {
                client.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("could not revoke the lock leases", e);
        }
    }
}
