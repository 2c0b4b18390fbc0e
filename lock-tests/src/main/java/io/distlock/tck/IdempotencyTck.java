package io.distlock.tck;

import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.LockLostDuringOperationException;
import io.distlock.idempotency.OneTimeTokens;
import io.distlock.idempotency.OperationFailedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultCodec;
import io.distlock.idempotency.ResultTooLargeException;
import io.distlock.idempotency.TokenOutcome;
import io.distlock.idempotency.spi.RecordStore;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The idempotency kit (docs/IDEMPOTENCY.md, clauses I1–I7): idempotency keys and one-time tokens on a backend's
 * locks and record store, across two replicas. A backend runs it by giving its {@link TckBackend} and a way to make
 * record stores on the same deployment.
 */
public abstract class IdempotencyTck extends AbstractTck {

    private final List<RecordStore> stores = new ArrayList<>();

    /**
     * A new record store on the backend's shared deployment, as another replica would have; closed after the test.
     *
     * @return a new record store
     */
    protected abstract RecordStore createStore();

    /**
     * A result type as services return them: a record, stored with the serializable codec.
     *
     * @param order the order id
     * @param cents the amount
     * @serial exclude
     */
    public record Receipt(String order, long cents) implements Serializable {
    }

    private static final ResultCodec<Receipt> RECEIPTS = ResultCodec.serializable(Receipt.class);

    private RecordStore store() {
        RecordStore store = createStore();
        stores.add(store);
        return store;
    }

    private IdempotencyKeys replica() {
        return IdempotencyKeys.builder().locks(newManager()).store(store()).build();
    }

    @AfterEach
    void closeStores() {
        stores.forEach(RecordStore::close);
        stores.clear();
    }

    @Test
    @DisplayName("clause I1: concurrent identical requests on two replicas run the operation exactly once")
    void concurrentDuplicatesRunOnce() throws Exception {
        List<IdempotencyKeys> replicas = List.of(replica(), replica());
        String key = randomKey("idem-concurrent");
        AtomicInteger executions = new AtomicInteger();
        AtomicInteger inProgress = new AtomicInteger();
        AtomicInteger replayed = new AtomicInteger();
        int requests = 8;
        CyclicBarrier start = new CyclicBarrier(requests);
        CountDownLatch othersAnswered = new CountDownLatch(requests - 1);
        Workers workers = new Workers("idempotent");
        for (int i = 0; i < requests; i++) {
            IdempotencyKeys replica = replicas.get(i % 2);
            workers.start(() -> {
                boolean[] ranHere = new boolean[1];
                start.await(soon().toMillis(), TimeUnit.MILLISECONDS);
                try {
                    Receipt receipt = replica.execute(key, "body-1", Duration.ofMinutes(5), RECEIPTS, lock -> {
                        ranHere[0] = true;
                        executions.incrementAndGet();
                        // Hold the run open until every duplicate has answered, so all of them are concurrent.
                        othersAnswered.await(soon().toMillis(), TimeUnit.MILLISECONDS);
                        return new Receipt("o-1", 990);
                    });
                    assertThat(receipt).as(clause("I2", "result of %s", key)).isEqualTo(new Receipt("o-1", 990));
                    if (!ranHere[0]) {
                        replayed.incrementAndGet();
                        othersAnswered.countDown();
                    }
                } catch (RequestInProgressException e) {
                    inProgress.incrementAndGet();
                    othersAnswered.countDown();
                }
            });
        }
        workers.join(soon().multipliedBy(3));
        assertThat(executions.get()).as(clause("I1", "%d concurrent duplicates of %s ran the operation %d times",
                requests, key, executions.get())).isEqualTo(1);
        assertThat(inProgress.get() + replayed.get()).isEqualTo(requests - 1);
    }

    @Test
    @DisplayName("clause I2: a later duplicate on another replica gets the stored result without running again")
    void sequentialRetryReplays() {
        IdempotencyKeys first = replica();
        IdempotencyKeys second = replica();
        String key = randomKey("idem-replay");
        AtomicInteger executions = new AtomicInteger();
        Receipt original = first.execute(key, "body", Duration.ofMinutes(5), RECEIPTS, lock -> {
            executions.incrementAndGet();
            return new Receipt("o-2", lock.fencingToken());
        });
        Receipt replay = second.execute(key, "body", Duration.ofMinutes(5), RECEIPTS, lock -> {
            executions.incrementAndGet();
            return new Receipt("other", 0);
        });
        assertThat(replay).as(clause("I2", "replayed result of %s", key)).isEqualTo(original);
        assertThat(executions.get()).as(clause("I2", "the retry of %s ran the operation again", key)).isEqualTo(1);
    }

    @Test
    @DisplayName("clause I3: the same key with another request fingerprint is rejected")
    void otherFingerprintIsRejected() {
        IdempotencyKeys replica = replica();
        String key = randomKey("idem-reuse");
        replica.execute(key, "body-a", Duration.ofMinutes(5), ResultCodec.strings(), lock -> "a");
        assertThatThrownBy(() -> replica.execute(key, "body-b", Duration.ofMinutes(5), ResultCodec.strings(),
                lock -> "b"))
                .as(clause("I3", "key %s reused with another body was not rejected", key))
                .isInstanceOf(KeyReusedException.class).hasMessageContaining(key);
    }

    @Test
    @DisplayName("clause I4: an operation that throws leaves no record, so a retry runs it")
    void failureLeavesNoRecord() {
        IdempotencyKeys replica = replica();
        String key = randomKey("idem-failure");
        AtomicInteger executions = new AtomicInteger();
        assertThatThrownBy(() -> replica.execute(key, "body", Duration.ofMinutes(5), ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            throw new IllegalStateException("payment provider down");
        })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> replica.execute(key, "body", Duration.ofMinutes(5), ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            throw new java.io.IOException("checked");
        })).isInstanceOf(OperationFailedException.class).hasCauseInstanceOf(java.io.IOException.class);
        String result = replica.execute(key, "body", Duration.ofMinutes(5), ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            return "ok";
        });
        assertThat(result).isEqualTo("ok");
        assertThat(executions.get()).as(clause("I4", "retries after failures of %s did not run", key)).isEqualTo(3);
    }

    @Test
    @DisplayName("clause I4: with failures recorded, a duplicate of a failed request gets the failure without running")
    void recordedFailureIsReplayed() {
        IdempotencyKeys replica = IdempotencyKeys.builder().locks(newManager()).store(store()).recordFailures(true)
                .build();
        String key = randomKey("idem-recorded-failure");
        AtomicInteger executions = new AtomicInteger();
        IdempotencyRunner failing = () -> replica.execute(key, "body", Duration.ofMinutes(5), ResultCodec.strings(),
                lock -> {
                    executions.incrementAndGet();
                    throw new IllegalStateException("card declined");
                });
        assertThatThrownBy(failing::run).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(failing::run).isInstanceOf(OperationFailedException.class)
                .hasMessageContaining("card declined");
        assertThat(executions.get()).isEqualTo(1);
    }

    @Test
    @DisplayName("clause I5: a stored result expires after its ttl, and the next request runs again")
    void resultsExpire() {
        IdempotencyKeys replica = replica();
        String key = randomKey("idem-expiry");
        AtomicInteger executions = new AtomicInteger();
        Duration ttl = Duration.ofSeconds(1);
        replica.execute(key, "body", ttl, ResultCodec.strings(), lock -> "run-" + executions.incrementAndGet());
        Awaitility.await("clause I5: result of " + key + " expires").atMost(soon().plus(ttl.multipliedBy(5)))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> replica.execute(key, "body", ttl, ResultCodec.strings(),
                        lock -> "run-" + executions.incrementAndGet()), "run-2"::equals);
    }

    @Test
    @DisplayName("clause I6: of 50 concurrent consumers of one token exactly one wins; the rest see a duplicate")
    void tokenHasExactlyOneWinner() throws Exception {
        OneTimeTokens issuer = OneTimeTokens.on(store());
        List<OneTimeTokens> replicas = List.of(OneTimeTokens.on(store()), OneTimeTokens.on(store()));
        String scope = randomKey("checkout-form");
        String token = issuer.issue(scope, Duration.ofMinutes(5));
        int consumers = 50;
        CyclicBarrier start = new CyclicBarrier(consumers);
        Map<TokenOutcome, AtomicInteger> outcomes = new ConcurrentHashMap<>();
        Workers workers = new Workers("consume");
        for (int i = 0; i < consumers; i++) {
            OneTimeTokens replica = replicas.get(i % 2);
            workers.start(() -> {
                start.await(soon().toMillis(), TimeUnit.MILLISECONDS);
                outcomes.computeIfAbsent(replica.consume(scope, token), o -> new AtomicInteger()).incrementAndGet();
            });
        }
        workers.join(soon().multipliedBy(3));
        assertThat(outcomes.getOrDefault(TokenOutcome.CONSUMED, new AtomicInteger()).get())
                .as(clause("I6", "winners among %d consumers of one token: %s", consumers, outcomes)).isEqualTo(1);
        assertThat(outcomes.getOrDefault(TokenOutcome.ALREADY_CONSUMED, new AtomicInteger()).get())
                .isEqualTo(consumers - 1);
    }

    @Test
    @DisplayName("clause I6: unknown, foreign-scope, malformed and expired tokens are refused")
    void badTokensAreRefused() {
        OneTimeTokens tokens = OneTimeTokens.on(store());
        String scope = randomKey("form");
        String token = tokens.issue(scope, Duration.ofMinutes(5));
        assertThat(token).hasSize(22).matches("[A-Za-z0-9_-]+");
        assertThat(tokens.issue(scope, Duration.ofMinutes(5))).isNotEqualTo(token);
        assertThat(tokens.consume(scope + "-other", token)).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
        assertThat(tokens.consume(scope, "not-a-token")).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
        assertThat(tokens.consume(scope, "A".repeat(22))).isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
        assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.CONSUMED);
        assertThat(tokens.consume(scope, token)).isEqualTo(TokenOutcome.ALREADY_CONSUMED);
        Duration ttl = Duration.ofMillis(300);
        String shortLived = tokens.issue(scope, ttl);
        // Any consume before the expiry would consume it, so the check waits the ttl out, then looks once.
        long expiresBy = System.nanoTime() + ttl.plusMillis(200).toNanos();
        Awaitility.await("clause I6: ttl of a token passes").atMost(soon())
                .until(() -> System.nanoTime() - expiresBy >= 0);
        assertThat(tokens.consume(scope, shortLived)).as(clause("I6", "an expired token was consumed"))
                .isEqualTo(TokenOutcome.UNKNOWN_OR_EXPIRED);
    }

    @Test
    @DisplayName("clause I7: bad input fails with a message naming it; an oversized result is not stored")
    void badInputIsRejected() {
        IdempotencyKeys replica = IdempotencyKeys.builder().locks(newManager()).store(store()).maxResultBytes(64)
                .build();
        OneTimeTokens tokens = OneTimeTokens.on(store());
        ResultCodec<String> strings = ResultCodec.strings();
        Duration ttl = Duration.ofMinutes(1);
        assertThatThrownBy(() -> replica.execute(null, "f", ttl, strings, l -> "x"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("idempotency key");
        assertThatThrownBy(() -> replica.execute(" ", "f", ttl, strings, l -> "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> replica.execute("k".repeat(1001), "f", ttl, strings, l -> "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000");
        assertThatThrownBy(() -> replica.execute("k", null, ttl, strings, l -> "x"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("fingerprint");
        assertThatThrownBy(() -> replica.execute("k", "f", Duration.ZERO, strings, l -> "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> tokens.issue("", ttl)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("scope");
        assertThatThrownBy(() -> tokens.consume("s", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("token");
        String key = randomKey("idem-large");
        AtomicInteger executions = new AtomicInteger();
        IdempotencyRunner large = () -> replica.execute(key, "f", ttl, strings, l -> {
            executions.incrementAndGet();
            return "x".repeat(65);
        });
        assertThatThrownBy(large::run).isInstanceOf(ResultTooLargeException.class).hasMessageContaining("65");
        assertThatThrownBy(large::run).isInstanceOf(ResultTooLargeException.class);
        assertThat(executions.get()).as(clause("I7", "an oversized result of %s was stored", key)).isEqualTo(2);
    }

    @Test
    @DisplayName("clause I8: a run that lost its lock to a later run is reported, and the later run's result is kept")
    void lockLostDuringOperationIsReported() {
        TckBackend.Faults faults = faults();
        IdempotencyKeys stale = IdempotencyKeys.builder().locks(newManager(shortLeaseSettings(true)))
                .store(store()).build();
        IdempotencyKeys successor = replica();
        String key = randomKey("idem-lost");
        Duration ttl = Duration.ofMinutes(1);
        AtomicInteger executions = new AtomicInteger();
        assertThatThrownBy(() -> stale.execute(key, "f", ttl, ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            faults.loseAllLocks();
            Awaitility.await("clause I8: loss of the lock of " + key + " noticed").atMost(soon())
                    .until(() -> !lock.isHeld());
            // Another replica gets the key while this run is still going, takes it over and completes.
            String answer = Awaitility.await("clause I8: a later run takes " + key + " over").atMost(soon())
                    .ignoreException(RequestInProgressException.class)
                    .until(() -> successor.execute(key, "f", ttl, ResultCodec.strings(), l -> {
                        executions.incrementAndGet();
                        return "successor";
                    }), "successor"::equals);
            assertThat(answer).isEqualTo("successor");
            return "stale";
        })).as(clause("I8", "a run of %s that lost its lock to a later run returned as if exclusive", key))
                .isInstanceOfSatisfying(LockLostDuringOperationException.class,
                        e -> assertThat(e.result()).isEqualTo("stale"));
        assertThat(successor.execute(key, "f", ttl, ResultCodec.strings(), l -> "third"))
                .as(clause("I8", "the key's answer after two overlapping runs of %s", key)).isEqualTo("successor");
        assertThat(executions.get()).isEqualTo(2);
    }

    @Test
    @DisplayName("clause I10: an operation that runs longer than the replay ttl keeps its result, which is replayed")
    void operationLongerThanTheTtlKeepsItsResult() throws Exception {
        IdempotencyKeys first = replica();
        IdempotencyKeys second = replica();
        String key = randomKey("idem-long-run");
        Duration ttl = Duration.ofMillis(200);
        AtomicInteger executions = new AtomicInteger();
        String result = first.execute(key, "f", ttl, ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            // The operation's own duration, longer than the ttl: not a wait for a condition.
            Thread.sleep(ttl.multipliedBy(3).toMillis());
            return "done";
        });
        assertThat(result).as(clause("I10", "a run of %s longer than its ttl", key)).isEqualTo("done");
        assertThat(second.execute(key, "f", Duration.ofMinutes(1), ResultCodec.strings(), lock -> {
            executions.incrementAndGet();
            return "again";
        })).as(clause("I10", "the duplicate right after a long run of %s", key)).isIn("done", "again");
        // A store may expire the completed record at once (the ttl is short); what must not happen is losing the
        // first run's result to LockLostDuringOperationException, which the call above would have thrown.
    }

    @Test
    @DisplayName("clause I9: a claim left by a run that died is taken over by the next request")
    void abandonedClaimIsTakenOver() {
        IdempotencyKeys first = replica();
        IdempotencyKeys second = replica();
        String key = randomKey("idem-abandoned");
        // An Error (not an Exception) skips the clean-up of the claim, as a crash of the process would.
        assertThatThrownBy(() -> first.execute(key, "f", Duration.ofMinutes(1), ResultCodec.strings(), lock -> {
            throw new AssertionError("process died");
        })).isInstanceOf(AssertionError.class);
        assertThat(second.execute(key, "f", Duration.ofMinutes(1), ResultCodec.strings(), lock -> "retried"))
                .as(clause("I9", "the retry of %s after a dead run", key)).isEqualTo("retried");
    }

    @FunctionalInterface
    private interface IdempotencyRunner {
        Object run();
    }
}
