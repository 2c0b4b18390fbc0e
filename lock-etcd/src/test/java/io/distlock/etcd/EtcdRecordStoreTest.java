package io.distlock.etcd;

import io.distlock.LockSettings;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.TokenOutcome;
import io.distlock.idempotency.spi.RecordStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the idempotency kit's sub-second expiry check would have covered (see {@link WholeSecondExpiry}), with ttls
 * in whole seconds: one-time tokens refused when unknown, of another scope, malformed or expired, and a record that
 * expires no earlier than its ttl and soon after it, for another replica too.
 */
@DisplayName("etcd: record store expiry in whole seconds")
class EtcdRecordStoreTest {

    private static final EtcdTckBackend BACKEND = new EtcdTckBackend();

    @BeforeAll
    static void startServer() {
        BACKEND.start();
    }

    @AfterAll
    static void stopServer() {
        BACKEND.stop();
    }

    private static RecordStore store() {
        return EtcdRecordStore.builder().client(BACKEND.client()).namespace(BACKEND.namespace())
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2))).build();
    }

    @Test
    @DisplayName("clause I6: unknown, foreign-scope, malformed and expired tokens are refused (ttl 2 s)")
    void badTokensAreRefused() {
        try (RecordStore store = store()) {
            OneTimeTokens tokens = OneTimeTokens.on(store);
            String scope = "form:" + UUID.randomUUID();
            String token = tokens.issue(scope, Duration.ofMinutes(5));
            assertThat(tokens.consume(scope + "-other", token)).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
            assertThat(tokens.consume(scope, "not-a-token")).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
            assertThat(tokens.consume(scope, "A".repeat(22))).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
            assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.CONSUMED);
            assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.ALREADY_CONSUMED);
            Duration ttl = Duration.ofSeconds(2);
            String shortLived = tokens.issue(scope, ttl);
            // etcd expires leases in rounds of 500 ms after their TTL: a consume before then would consume it.
            long expiresBy = System.nanoTime() + ttl.plusMillis(1500).toNanos();
            Awaitility.await("the token's ttl passes").atMost(Duration.ofSeconds(10))
                    .until(() -> System.nanoTime() - expiresBy >= 0);
            assertThat(tokens.consume(scope, shortLived)).as("an expired token").isEqualTo(
                    TokenOutcome.UNKNOWN_OR_EXPIRED);
        }
    }

    @Test
    @DisplayName("clause S3: a record expires after its ttl (rounded up to seconds), never before, for every replica")
    void recordsExpireInWholeSeconds() {
        try (RecordStore a = store(); RecordStore b = store()) {
            String key = "ttl-" + UUID.randomUUID();
            Duration ttl = Duration.ofMillis(1500);
            long written = System.nanoTime();
            assertThat(a.putIfAbsent(key, "v".getBytes(StandardCharsets.UTF_8), ttl)).isTrue();
            Awaitility.await("the record expires").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> b.get(key).isEmpty());
            Duration lived = Duration.ofNanos(System.nanoTime() - written);
            assertThat(lived).as("the record lived %s, its ttl is %s", lived, ttl).isGreaterThanOrEqualTo(ttl);
        }
    }
}
