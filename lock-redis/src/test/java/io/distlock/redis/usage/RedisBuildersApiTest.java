package io.distlock.redis.usage;

import io.distlock.LockSettings;
import io.distlock.redis.RedisLockManager;
import io.distlock.redis.RedisRecordStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The builders as an application sees them, from another package: every option chains in any order and keeps the
 * concrete builder's type (the shared connection options live in a package-private base class), and
 * {@code build()} rejects conflicting or malformed settings with the exceptions its Javadoc lists, before any
 * connection is tried. No server needed.
 */
@DisplayName("redis: builders from outside the package")
class RedisBuildersApiTest {

    @Test
    @DisplayName("the lock manager builder chains every option; build() names what is missing or malformed")
    void lockManagerBuilder() {
        assertThatThrownBy(() -> RedisLockManager.builder()
                .username("u").password("p").database(1).tls(false).configure((config, servers) -> { })
                .settings(LockSettings.defaults()).fenceRetention(Duration.ofMinutes(5))
                .build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("address(...)");
        assertThatThrownBy(() -> RedisLockManager.builder().settings(LockSettings.defaults())
                .cluster("127.0.0.1:1").database(2).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("database 0");
        assertThatThrownBy(() -> RedisLockManager.builder().address("127.0.0.1:").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty port");
        assertThatThrownBy(() -> RedisLockManager.builder().tls(true).address("redis://127.0.0.1:1").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tls(true)");
        assertThatThrownBy(() -> RedisLockManager.builder().fenceRetention(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fenceRetention");
    }

    @Test
    @DisplayName("the record store builder chains every option; build() names what is missing or malformed")
    void recordStoreBuilder() {
        assertThatThrownBy(() -> RedisRecordStore.builder()
                .username("u").password("p").database(1).tls(false).configure((config, servers) -> { })
                .operationTimeout(Duration.ofSeconds(1)).keyPrefix("app:").maxValueBytes(1024)
                .build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("address(...)");
        assertThatThrownBy(() -> RedisRecordStore.builder().keyPrefix("app:")
                .sentinel("mymaster", "127.0.0.1:1:2").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than one ':'");
        assertThatThrownBy(() -> RedisRecordStore.builder().database(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
    }
}
