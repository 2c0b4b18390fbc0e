package io.distlock.jdbc;

import io.distlock.LockHandle;
import io.distlock.LockListener;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.RecordStores;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One {@code jdbc:} URI gives the locks ({@code LockManagers}) and the records ({@code RecordStores}) of an
 * application, as the other backends' URIs do; on H2 in memory and on the private PostgreSQL.
 */
class JdbcUriProvidersTest {

    private static void locksAndRecordsFrom(URI uri) {
        try (LockManager locks = LockManagers.create(uri); RecordStore records = RecordStores.create(uri)) {
            assertThat(records.name()).isEqualTo("jdbc");
            byte[] value = "v".getBytes(StandardCharsets.UTF_8);
            String key = "r-" + UUID.randomUUID();
            assertThat(records.putIfAbsent(key, value, Duration.ofMinutes(1))).isTrue();
            assertThat(records.get(key)).hasValue(value);
            IdempotencyKeys idempotency = IdempotencyKeys.builder().locks(locks).store(records).build();
            AtomicInteger runs = new AtomicInteger();
            for (int i = 0; i < 2; i++) {
                assertThat(idempotency.execute(key + "-op", "body", Duration.ofMinutes(1), ResultCodec.strings(),
                        lock -> "run " + runs.incrementAndGet())).isEqualTo("run 1");
            }
        }
    }

    @Test
    void an_h2_uri_gives_locks_and_records() {
        locksAndRecordsFrom(URI.create("jdbc:h2:mem:" + UUID.randomUUID()
                + ";DB_CLOSE_DELAY=-1?createSchema=true&timeout=2s&poolSize=2"));
    }

    @Test
    void a_postgresql_uri_gives_locks_and_records() {
        locksAndRecordsFrom(URI.create(PostgresServer.shared().url() + "?user=postgres&createSchema=true&timeout=2s"));
    }

    @Test
    void listeners_given_with_the_uri_get_the_events_of_a_jdbc_manager() {
        AtomicInteger acquired = new AtomicInteger();
        LockListener listener = new LockListener() {
            @Override
            public void acquired(LockHandle handle, long waitedNanos) {
                acquired.incrementAndGet();
            }
        };
        URI uri = URI.create("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1?createSchema=true&lease=6s"
                + "&timeout=1s");
        try (LockManager locks = LockManagers.create(uri, settings -> settings.withListener(listener));
             LockHandle ignored = locks.tryLock("k").orElseThrow()) {
            assertThat(acquired).hasValue(1);
        }
    }
}
