package io.distlock.idempotency;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.distlock.idempotency.IdempotencyListener.Outcome.EXECUTED;
import static io.distlock.idempotency.IdempotencyListener.Outcome.FAILED;
import static io.distlock.idempotency.IdempotencyListener.Outcome.IN_PROGRESS;
import static io.distlock.idempotency.IdempotencyListener.Outcome.KEY_REUSED;
import static io.distlock.idempotency.IdempotencyListener.Outcome.REPLAYED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The listener hears one outcome per execute call, on the local lock backend and record store. */
class IdempotencyListenerTest {

    private static final Duration TTL = Duration.ofMinutes(1);

    @Test
    void everyOutcomeIsReportedOncePerCall() {
        String name = "listener-" + UUID.randomUUID();
        List<IdempotencyListener.Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (LockManager locks = LocalLockManager.builder().name(name).build();
             LocalRecordStore store = LocalRecordStore.named(name)) {
            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(store)
                    .listener((outcome, nanos) -> {
                        assertThat(nanos).isNotNegative();
                        outcomes.add(outcome);
                    }).build();
            assertThat(keys.execute("k", "body", TTL, ResultCodec.strings(), lock -> "first")).isEqualTo("first");
            assertThat(keys.execute("k", "body", TTL, ResultCodec.strings(), lock -> "second")).isEqualTo("first");
            assertThatThrownBy(() -> keys.execute("k", "other body", TTL, ResultCodec.strings(), lock -> "x"))
                    .isInstanceOf(KeyReusedException.class);
            assertThatThrownBy(() -> keys.execute("boom", "body", TTL, ResultCodec.strings(), lock -> {
                throw new IllegalStateException("operation failed");
            })).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> keys.execute("nested", "body", TTL, ResultCodec.strings(),
                    lock -> keys.execute("nested", "body", TTL, ResultCodec.strings(), inner -> "inner")))
                    .isInstanceOf(RequestInProgressException.class);
            assertThatThrownBy(() -> keys.execute(" ", "body", TTL, ResultCodec.strings(), lock -> "x"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        // The nested call ends first (in progress), then the outer one, whose operation threw it (failed).
        assertThat(outcomes).containsExactly(EXECUTED, REPLAYED, KEY_REUSED, FAILED, IN_PROGRESS, FAILED);
    }

    @Test
    void aListenerThatThrowsDoesNotChangeTheResult() {
        String name = "listener-" + UUID.randomUUID();
        try (LockManager locks = LocalLockManager.builder().name(name).build();
             LocalRecordStore store = LocalRecordStore.named(name)) {
            IdempotencyKeys keys = IdempotencyKeys.builder().locks(locks).store(store)
                    .listener((outcome, nanos) -> {
                        throw new IllegalStateException("broken listener");
                    }).build();
            assertThat(keys.execute("k", "body", TTL, ResultCodec.strings(), LockHandle::key))
                    .isEqualTo("idempotency:k");
            assertThat(keys.execute("k", "body", TTL, ResultCodec.strings(), lock -> "again"))
                    .isEqualTo("idempotency:k");
        }
    }
}
