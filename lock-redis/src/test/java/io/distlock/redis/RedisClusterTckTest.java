package io.distlock.redis;

import io.distlock.tck.ExclusionTck;
import io.distlock.tck.FencingTck;
import io.distlock.tck.KeyTck;
import io.distlock.tck.MissionTck;
import io.distlock.tck.TckBackend;
import io.distlock.tck.WaitingTck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import io.distlock.LockManagers;

import java.net.URI;

/**
 * The TCK's mission, exclusion, fencing, key and waiting tests through {@code redis-cluster://} against a private
 * cluster of three masters, every manager made from a {@code redis-cluster://} URI: keys of every shape (braces included) must keep a lock's keys in one slot, and release
 * messages published on one node must reach waiters subscribed on another. Without fault injection (a paused
 * cluster node is a cluster failure, not an outage), so the one key test that needs an outage is reported skipped.
 */
@DisplayName("TCK: redis-cluster:// (3 masters)")
class RedisClusterTckTest {

    private static RedisCluster cluster;
    private static TckBackend backend;

    @BeforeAll
    static void startCluster() {
        cluster = RedisCluster.start();
        String uri = "redis-cluster://" + String.join(",", cluster.addresses());
        backend = new RedisTckBackend("redis-cluster (3 masters)", settings -> LockManagers.create(
                URI.create(uri + RedisTckBackend.query(settings))), null);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Nested
    class Mission extends MissionTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Exclusion extends ExclusionTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Fencing extends FencingTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Keys extends KeyTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }

    @Nested
    class Waiting extends WaitingTck {
        @Override
        protected TckBackend backend() {
            return backend;
        }
    }
}
