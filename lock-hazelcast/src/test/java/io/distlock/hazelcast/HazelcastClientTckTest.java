package io.distlock.hazelcast;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.AsyncLockManagerTck;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.InspectionTck;
import io.distlock.tck.RecordStoreTck;
import io.distlock.tck.LockManagerTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * The whole TCK, and the idempotency kit, against managers (and record stores) that each own a client of a two-member
 * cluster, as replicas of a service that talk to a separate Hazelcast cluster do.
 */
@DisplayName("TCK: hazelcast, clients of a two-member cluster")
class HazelcastClientTckTest extends LockManagerTck {

    /** The records of the idempotency kit, apart from the lock map (which the kit's loss fault clears). */
    private static final String RECORDS = "distlock.tck.records";

    private static TestCluster cluster;
    private static TckBackend fixture;

    @BeforeAll
    static void startCluster() {
        cluster = TestCluster.start("client-tck", 2);
        fixture = new HazelcastTckBackend("hazelcast (clients of 2 members)", cluster,
                settings -> HazelcastLockManager.builder().addresses(cluster.addresses())
                        .clusterName(cluster.clusterName())
                        .connectTimeout(TestCluster.CONNECT_TIMEOUT).mapName(HazelcastTckBackend.MAP).settings(settings)
                        .build());
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static RecordStore newStore() {
        return HazelcastRecordStore.builder().addresses(cluster.addresses())
                .clusterName(cluster.clusterName()).connectTimeout(TestCluster.CONNECT_TIMEOUT).mapName(RECORDS)
                .operationTimeout(fixture.settings().operationTimeout()).build();
    }

    /** The TCK once more through {@code tryLockAsync}: the backend's native asynchronous calls. */
    @Nested
    class Async extends AsyncLockManagerTck {
        @Override
        protected TckBackend fixture() {
            return fixture;
        }
    }

    /** Inspection: holder, list and force-release, across managers. */
    @Nested
    class Inspection extends InspectionTck {
        @Override
        protected TckBackend backend() {
            return fixture;
        }
    }

    @Nested
    class Idempotency extends IdempotencyTck {
        @Override
        protected TckBackend backend() {
            return fixture;
        }

        @Override
        protected RecordStore createStore() {
            return newStore();
        }
    }

    @Nested
    class Store extends RecordStoreTck {
        @Override
        protected TckBackend backend() {
            return fixture;
        }

        @Override
        protected RecordStore createStore() {
            return newStore();
        }
    }

    @Override
    protected TckBackend backend() {
        return fixture;
    }
}
