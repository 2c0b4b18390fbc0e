package io.distlock.micrometer;

import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.LocalRecordStore;
import io.distlock.idempotency.ResultCodec;
import io.distlock.local.LocalLockManager;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** distlock.idempotency.execute on the local lock backend and record store. */
class IdempotencyMetricsTest {

    @Test
    void executionsAreTimedByOutcomeAndRemovedOnClose() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        String name = "idempotency-" + UUID.randomUUID();
        Duration ttl = Duration.ofMinutes(1);
        try (LockManager locks = LocalLockManager.builder().name(name).build();
             LocalRecordStore store = LocalRecordStore.named(name);
             IdempotencyMetrics metrics = new IdempotencyMetrics(meters, IdempotencyMetrics.DEFAULT_NAME,
                     List.of(Tag.of("store", "local")))) {
            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(store).listener(metrics).build();
            keys.execute("payment:1", "body", ttl, ResultCodec.strings(), lock -> "receipt");
            keys.execute("payment:1", "body", ttl, ResultCodec.strings(), lock -> "again");
            assertThatThrownBy(() -> keys.execute("payment:1", "other", ttl, ResultCodec.strings(), lock -> "x"))
                    .isInstanceOf(KeyReusedException.class);
            for (String outcome : List.of("executed", "replayed", "key_reused")) {
                assertThat(meters.get("distlock.idempotency.execute").tag("outcome", outcome).tag("store", "local")
                        .timer().count()).as(outcome).isEqualTo(1);
            }
            assertThat(meters.get("distlock.idempotency.execute").tag("outcome", "in_progress").timer().count())
                    .isZero();
            assertThat(meters.getMeters()).flatExtracting(m -> m.getId().getTags()).extracting(Tag::getValue)
                    .noneMatch(v -> v.contains("payment"));
        }
        assertThat(meters.getMeters()).isEmpty();
    }
}
