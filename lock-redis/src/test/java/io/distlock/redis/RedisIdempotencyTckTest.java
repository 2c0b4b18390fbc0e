package io.distlock.redis;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.tck.IdempotencyTck;
import io.distlock.tck.RecordStoreTck;
import io.distlock.tck.TckBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

import java.time.Duration;

/**
 * The idempotency kit against one private redis-server: locks from {@link RedisLockManager}, records from
 * {@link RedisRecordStore}, every manager and every store with its own Redisson client, as separate replicas would
 * have. Lost locks are FLUSHALL (which loses the records too).
 */
@DisplayName("idempotency and record store TCK: redis:// (single server)")
class RedisIdempotencyTckTest {

    private static RedisServer server;
    private static TckBackend backend;

    @BeforeAll
    static void startServer() {
        server = RedisServer.start();
        backend = new RedisTckBackend("redis (single server)",
                RedisTckBackend.builders(() -> RedisLockManager.builder().address(server.address())),
                RedisTckBackend.faultsOf(server));
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static RecordStore newStore() {
        return RedisRecordStore.builder().address(server.address()).operationTimeout(Duration.ofSeconds(2)).build();
    }

    @Nested
    class Idempotency extends IdempotencyTck {
        @Override
        protected TckBackend backend() {
            return backend;
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
            return backend;
        }

        @Override
        protected RecordStore createStore() {
            return newStore();
        }
    }
}
