package io.distlock.spring;

import com.hazelcast.core.HazelcastInstance;
import io.distlock.hazelcast.HazelcastLockManager;
import io.distlock.hazelcast.HazelcastRecordStore;
import io.distlock.jdbc.JdbcLockManager;
import io.distlock.jdbc.JdbcRecordStore;
import io.distlock.redis.RedisLockManager;
import io.distlock.redis.RedisRecordStore;
import io.distlock.zookeeper.ZooKeeperLockManager;
import io.distlock.zookeeper.ZooKeeperRecordStore;
import org.apache.curator.framework.CuratorFramework;
import org.redisson.api.RedissonClient;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.ClassUtils;

import javax.sql.DataSource;

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

    /**
     * The application's {@code DataSource}, last: nearly every application has one for its own data, so a Redis,
     * ZooKeeper or Hazelcast client bean is the more deliberate choice and wins. {@code distlock.jdbc.enabled=false}
     * keeps the DataSource out of the choice.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(JdbcLockManager.class)
    @ConditionalOnProperty(prefix = "distlock.jdbc", name = "enabled", havingValue = "true", matchIfMissing = true)
    static class Jdbc {
        @Bean
        BackendCandidate distlockDataSourceCandidate(ListableBeanFactory beans, DistlockProperties properties) {
            boolean createSchema = properties.getJdbc().isCreateSchema();
            return new ClientBeanCandidate<>(400, DataSource.class, "io.distlock:lock-jdbc", beans,
                    (dataSource, settings) -> JdbcLockManager.builder().dataSource(autoCommitting(dataSource))
                            .createSchema(createSchema).settings(settings).build(),
                    (dataSource, settings) -> JdbcRecordStore.builder().dataSource(autoCommitting(dataSource))
                            .createSchema(createSchema).operationTimeout(settings.operationTimeout()).build());
        }

        /**
         * The pool behind a {@code TransactionAwareDataSourceProxy}: lock statements must run on connections of their
         * own, never on the caller's transaction's connection (switching that one to autocommit would commit the
         * caller's work, and a rollback would undo an acquisition).
         */
        static DataSource autoCommitting(DataSource dataSource) {
            if (ClassUtils.isPresent("org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy",
                    Jdbc.class.getClassLoader())) {
                return SpringJdbc.target(dataSource);
            }
            return dataSource;
        }
    }

    /** Touches spring-jdbc types; loaded only when spring-jdbc is on the class path. */
    private static final class SpringJdbc {
        static DataSource target(DataSource dataSource) {
            DataSource current = dataSource;
            while (current instanceof org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy proxy
                    && proxy.getTargetDataSource() != null) {
                current = proxy.getTargetDataSource();
            }
            return current;
        }
    }
}
