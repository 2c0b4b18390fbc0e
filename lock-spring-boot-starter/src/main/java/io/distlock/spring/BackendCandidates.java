package io.distlock.spring;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.hazelcast.HazelcastLockManager;
import io.distlock.hazelcast.HazelcastRecordStore;
import io.distlock.redis.RedisLockManager;
import io.distlock.redis.RedisRecordStore;
import io.distlock.zookeeper.ZooKeeperLockManager;
import io.distlock.zookeeper.ZooKeeperRecordStore;
import org.apache.curator.framework.CuratorFramework;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The candidates for the application's own clients, one nested configuration per backend, each active only when
 * the backend module and its client library are on the class path (so this class must not touch their types
 * outside the nested classes).
 */
final class BackendCandidates {

    private BackendCandidates() {
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({RedissonClient.class, RedisLockManager.class})
    static class Redisson {
        @Bean
        BackendCandidate distlockRedissonCandidate(ListableBeanFactory beans) {
            return new ClientBeanCandidate<>(100, RedissonClient.class, "io.distlock:lock-redis", beans,
                    (client, settings) -> RedisLockManager.builder().client(client).settings(settings).build(),
                    (client, settings) -> RedisRecordStore.builder().client(client)
                            .operationTimeout(settings.operationTimeout()).keyPrefix(settings.keyPrefix()).build());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({CuratorFramework.class, ZooKeeperLockManager.class})
    static class Curator {
        @Bean
        BackendCandidate distlockCuratorCandidate(ListableBeanFactory beans) {
            return new ClientBeanCandidate<>(200, CuratorFramework.class, "io.distlock:lock-zookeeper", beans,
                    (client, settings) -> ZooKeeperLockManager.builder().client(client).settings(settings).build(),
                    (client, settings) -> ZooKeeperRecordStore.builder().client(client).settings(settings).build());
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({HazelcastInstance.class, HazelcastLockManager.class})
    static class Hazelcast {
        @Bean
        BackendCandidate distlockHazelcastCandidate(ListableBeanFactory beans) {
            return new ClientBeanCandidate<>(300, HazelcastInstance.class, "io.distlock:lock-hazelcast", beans,
                    (client, settings) -> HazelcastLockManager.builder().instance(client).settings(settings).build(),
                    (client, settings) -> HazelcastRecordStore.builder().instance(client)
                            .operationTimeout(settings.operationTimeout()).build());
        }
    }
}
