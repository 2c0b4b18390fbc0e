package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.MapServiceContext;
import com.hazelcast.map.impl.record.Record;
import com.hazelcast.map.impl.recordstore.RecordStore;
import com.hazelcast.spi.impl.NodeEngineImpl;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.Renewal;
import io.distlock.spi.RenewalResult;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batched renewal ({@link HazelcastLockBackend#renewAll}) on a three-member cluster, from a member and from a
 * client: per-key results across partitions and members (a key deleted by someone else and a key taken by another
 * owner are {@code NOT_OWNER}), the leases really extended, each backup holding exactly its primary's value, and
 * fewer member operations than one renewal per key.
 */
@DisplayName("hazelcast batched renewal")
class HazelcastRenewAllTest {

    private static final Logger log = LoggerFactory.getLogger(HazelcastRenewAllTest.class);
    private static final String MAP = "distlock.renew-all";
    private static final Duration SHORT = Duration.ofSeconds(5);
    private static final Duration LONG = Duration.ofSeconds(60);

    private static TestCluster cluster;

    @BeforeAll
    static void start() {
        cluster = TestCluster.start("renew-all", 3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static HazelcastLockBackend backend(HazelcastInstance instance) {
        return new HazelcastLockBackend(instance, false, MAP, Duration.ofSeconds(5), Duration.ofMinutes(1));
    }

    @Test
    @DisplayName("from a member: renewed, deleted and stolen keys across partitions and members, backups in step")
    void fromMember() {
        check(backend(cluster.member(0)), "member");
    }

    @Test
    @DisplayName("from a client: one request per partition owner, same per-key results")
    void fromClient() {
        check(backend(cluster.newClient()), "client");
    }

    private void check(HazelcastLockBackend backend, String hint) {
        try (backend) {
            String run = hint + ":" + UUID.randomUUID() + ":";
            List<Renewal> renewals = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                // Owners as the core writes them: long, with separators of the stored value inside.
                String owner = "0123456789abcdef:" + i + "|name=svc|thread=worker-" + i + "|at=2026-12-01T23:59:59Z|"
                        + "x".repeat(i == 7 ? 150 : 0);
                Renewal renewal = new Renewal(run + i, owner);
                assertThat(backend.tryAcquire(renewal.key(), owner, SHORT).isAcquired()).isTrue();
                renewals.add(renewal);
            }
            Set<Integer> owners = new HashSet<>();
            for (Renewal renewal : renewals) {
                owners.add(cluster.ownerOf(renewal.key()));
            }
            assertThat(owners).as("the keys' partition owners").hasSize(3);
            Renewal deleted = renewals.get(3);
            Renewal stolen = renewals.get(11);
            cluster.member(2).getMap(MAP).remove(deleted.key());
            assertThat(backend.release(stolen.key(), stolen.owner())).isTrue();
            AcquireResult other = backend.tryAcquire(stolen.key(), "intruder", SHORT);
            assertThat(other.isAcquired()).isTrue();

            long before = cluster.member(0).getCluster().getClusterTime();
            long operationsBefore = executedOperations();
            List<RenewalResult> results = backend.renewAll(renewals, LONG, System.nanoTime()
                    + Duration.ofSeconds(5).toNanos());
            long operations = executedOperations() - operationsBefore;
            long perKeyBefore = executedOperations();
            for (Renewal renewal : renewals) {
                backend.renew(renewal.key(), renewal.owner(), LONG);
            }
            log.info("{}: renewing {} locks on 3 members took {} member operations in one batch, {} one by one",
                    hint, renewals.size(), operations, executedOperations() - perKeyBefore);

            assertThat(results).hasSize(renewals.size());
            for (int i = 0; i < renewals.size(); i++) {
                Renewal renewal = renewals.get(i);
                RenewalResult.Status expected = renewal == deleted || renewal == stolen
                        ? RenewalResult.Status.NOT_OWNER : RenewalResult.Status.RENEWED;
                assertThat(results.get(i).status()).as("renewal of %s", renewal.key()).isEqualTo(expected);
                String value = (String) cluster.member(1).getMap(MAP).get(renewal.key());
                if (renewal == deleted) {
                    assertThat(value).isNull();
                    continue;
                }
                LockEntryProcessor.Stored stored = LockEntryProcessor.Stored.parse(value);
                if (renewal == stolen) {
                    assertThat(stored.owner).isEqualTo("intruder");
                    assertThat(stored.expiresAt).isLessThan(before + SHORT.toMillis() + 1000);
                    continue;
                }
                assertThat(stored.owner).isEqualTo(renewal.owner());
                assertThat(stored.expiresAt).as("lease end of %s", renewal.key())
                        .isGreaterThanOrEqualTo(before + LONG.toMillis());
            }
            // Backups are synchronous: the moment renewAll answered, each holds its primary's value.
            for (Renewal renewal : renewals) {
                if (renewal == deleted) {
                    continue;
                }
                assertThat(backupValue(renewal.key())).as("backup of %s right after the renewal", renewal.key())
                        .isEqualTo(cluster.member(0).getMap(MAP).get(renewal.key()));
            }
            assertThat(operations).as("member operations for %s renewals", renewals.size())
                    .isLessThan(renewals.size());
        }
    }

    @ParameterizedTest(name = "from a {0}")
    @ValueSource(strings = {"member", "client"})
    @DisplayName("a partition owner killed right after a batched renewal: its backup enforces the renewed leases")
    void ownerKilledAfterRenewal(String from) {
        for (int round = 0; round < 3; round++) {
            try (TestCluster local = TestCluster.start("renew-kill-" + from + round, 3)) {
                HazelcastInstance instance = from.equals("member") ? local.member(0) : local.newClient();
                try (HazelcastLockBackend holder = backend(instance);
                     HazelcastLockBackend contender = backend(local.newClient())) {
                    Duration acquireLease = Duration.ofSeconds(2);
                    List<Renewal> renewals = new ArrayList<>();
                    for (int i = 0; i < 40; i++) {
                        Renewal renewal = new Renewal("kill:" + round + ":" + i, "holder-" + i);
                        assertThat(holder.tryAcquire(renewal.key(), renewal.owner(), acquireLease).isAcquired())
                                .isTrue();
                        renewals.add(renewal);
                    }
                    long acquired = System.nanoTime();
                    List<RenewalResult> results = holder.renewAll(renewals, LONG,
                            System.nanoTime() + Duration.ofSeconds(5).toNanos());
                    // A member other than the embedded holder, so that the holder's own calls keep working.
                    int victim = local.ownerOf(renewals.get(0).key()) == 0 ? 1 : local.ownerOf(renewals.get(0).key());
                    local.terminate(victim);
                    for (int i = 0; i < renewals.size(); i++) {
                        assertThat(results.get(i).status()).as("renewal %s", i)
                                .isEqualTo(RenewalResult.Status.RENEWED);
                    }
                    // Past the acquire's lease, which is what a backup without the renewal would enforce.
                    Awaitility.await().pollDelay(acquireLease.plusMillis(500)).atMost(acquireLease.plusSeconds(20))
                            .until(() -> System.nanoTime() - acquired > acquireLease.plusMillis(500).toNanos());
                    for (Renewal renewal : renewals) {
                        AcquireResult other = Awaitility.await("an answer for " + renewal.key())
                                .atMost(Duration.ofSeconds(20)).ignoreException(io.distlock.LockBackendException.class)
                                .until(() -> contender.tryAcquire(renewal.key(), "contender", SHORT), r -> true);
                        assertThat(other.isAcquired()).as("round %d: %s granted to another owner while its holder's "
                                + "renewed lease of %s runs", round, renewal.key(), LONG).isFalse();
                    }
                }
            }
        }
    }

    /**
     * The backups of one member are stuck (its partition threads busy): a renewal whose backup lies there must not be
     * answered as renewed, since a fail-over right then would promote a backup without it. With Hazelcast's
     * multi-key operation (asynchronous backups) those keys came back renewed at once.
     */
    @ParameterizedTest(name = "from a {0}")
    @ValueSource(strings = {"member", "client"})
    @DisplayName("a renewal answered as renewed is on the backup, even when the backup member is stuck")
    void renewedMeansBackedUp(String from) {
        HazelcastInstance instance = from.equals("member") ? cluster.member(0) : cluster.newClient();
        try (HazelcastLockBackend backend = backend(instance)) {
            String run = "stuck-" + from + ":" + UUID.randomUUID() + ":";
            List<Renewal> renewals = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                Renewal renewal = new Renewal(run + i, "owner-" + i);
                assertThat(backend.tryAcquire(renewal.key(), renewal.owner(), SHORT).isAcquired()).isTrue();
                renewals.add(renewal);
            }
            int stuck = 2;
            int backedUpOnStuck = 0;
            for (Renewal renewal : renewals) {
                int owner = cluster.ownerOf(renewal.key());
                if (owner != stuck && recordValue(cluster.member(stuck), renewal.key()) != null) {
                    backedUpOnStuck++;
                }
            }
            assertThat(backedUpOnStuck).as("keys owned elsewhere, backed up on member %s", stuck).isPositive();
            CountDownLatch release = new CountDownLatch(1);
            blockMember(stuck, release);
            try {
                // Shorter than Hazelcast's backup timeout (5 s), after which it answers without the backup's ack.
                List<RenewalResult> results = backend.renewAll(renewals, LONG, System.nanoTime()
                        + Duration.ofSeconds(2).toNanos());
                int renewed = 0;
                for (int i = 0; i < renewals.size(); i++) {
                    Renewal renewal = renewals.get(i);
                    if (results.get(i).status() != RenewalResult.Status.RENEWED) {
                        continue;
                    }
                    renewed++;
                    int owner = cluster.ownerOf(renewal.key());
                    assertThat(backupValue(renewal.key())).as("backup of %s, answered as renewed", renewal.key())
                            .isEqualTo(recordValue(cluster.member(owner), renewal.key()));
                }
                log.info("{}: {} of {} renewed while member {} was stuck ({} backed up there)", from, renewed,
                        renewals.size(), stuck, backedUpOnStuck);
                assertThat(renewed).as("renewals with owner and backup elsewhere").isPositive();
            } finally {
                release.countDown();
            }
        }
    }

    /** Occupies both partition threads of member {@code index} until {@code release}. */
    private static void blockMember(int index, CountDownLatch release) {
        String uuid = cluster.member(index).getCluster().getLocalMember().getUuid().toString();
        Set<Integer> threads = new HashSet<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 10_000 && threads.size() < 2; i++) {
            String key = "stuck-blocker-" + i;
            com.hazelcast.partition.Partition partition = cluster.member(0).getPartitionService().getPartition(key);
            if (partition.getOwner().getUuid().toString().equals(uuid) && threads.add(partition.getPartitionId() % 2)) {
                keys.add(key);
            }
        }
        CountDownLatch started = new CountDownLatch(keys.size());
        TestCluster.Blocker.arm(release, started);
        for (String key : keys) {
            cluster.member(0).<String, String>getMap("distlock.test.blockers").submitToKey(key,
                    new TestCluster.Blocker());
        }
        try {
            assertThat(started.await(30, TimeUnit.SECONDS)).as("member %s blocked", index).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What the key's backup replica holds: the one member other than the owner with a record of it. */
    private static String backupValue(String key) {
        int owner = cluster.ownerOf(key);
        String found = null;
        for (int i = 0; i < 3; i++) {
            if (i == owner) {
                continue;
            }
            String value = recordValue(cluster.member(i), key);
            if (value != null) {
                found = value;
            }
        }
        return found;
    }

    private static String recordValue(HazelcastInstance member, String key) {
        NodeEngineImpl engine = ((HazelcastInstanceProxy) member).getOriginal().node.getNodeEngine();
        MapServiceContext context = engine.<MapService>getService(MapService.SERVICE_NAME).getMapServiceContext();
        Data data = engine.getSerializationService().toData(key);
        int partition = engine.getPartitionService().getPartitionId(data);
        RecordStore<?> store = context.getExistingRecordStore(partition, MAP);
        if (store == null) {
            return null;
        }
        Record<?> record = store.getRecord(data);
        return record == null ? null : engine.getSerializationService().toObject(record.getValue());
    }

    private static long executedOperations() {
        long sum = 0;
        for (int i = 0; i < 3; i++) {
            sum += ((HazelcastInstanceProxy) cluster.member(i)).getOriginal().node.getNodeEngine()
                    .getOperationService().getExecutedOperationCount();
        }
        return sum;
    }
}
