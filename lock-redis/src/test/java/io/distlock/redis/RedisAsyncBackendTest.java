package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The native asynchronous calls of the backend: they return before Redis answers, never on the caller's thread
 * while the server is silent, and give up by the caller's deadline with {@link LockBackendException}.
 */
@DisplayName("redis: native tryAcquireAsync and subscribeAsync")
class RedisAsyncBackendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.resume();
            server.close();
        }
    }

    private static RedisLockBackend backend() {
        RedisConnection connection = new RedisConnection();
        connection.single(server.address());
        RedisConnection.Connected connected = connection.connect(TIMEOUT);
        return new RedisLockBackend(connected.client(), true, connected.failures(), TIMEOUT, Duration.ofMinutes(1),
                RedisLockBackend.ReplicaAcks.NONE);
    }

    @Test
    @DisplayName("acquire: the token or the holder's lease, as the blocking form answers")
    void sameAnswers() {
        try (RedisLockBackend redis = backend()) {
            String key = "async:" + UUID.randomUUID();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            AcquireResult first = redis.tryAcquireAsync(key, "a", Duration.ofSeconds(30), deadline)
                    .toCompletableFuture().join();
            assertThat(first.isAcquired()).isTrue();
            AcquireResult again = redis.tryAcquireAsync(key, "a", Duration.ofSeconds(30), deadline)
                    .toCompletableFuture().join();
            assertThat(again.fencingToken()).isEqualTo(first.fencingToken());
            AcquireResult other = redis.tryAcquireAsync(key, "b", Duration.ofSeconds(30), deadline)
                    .toCompletableFuture().join();
            assertThat(other.isAcquired()).isFalse();
            assertThat(other.holderLeaseRemainingNanos()).isPositive();
            assertThat(redis.tryAcquire(key, "b", Duration.ofSeconds(30)).isAcquired()).isFalse();
        }
    }

    @Test
    @DisplayName("a silent server: the call returns at once and fails by the caller's deadline, not the timeout")
    void deadlineDuringOutage() throws Exception {
        try (RedisLockBackend redis = backend()) {
            String key = "async:outage:" + UUID.randomUUID();
            // Subscribed before the outage, so that a later subscribeAsync only registers.
            CountDownLatch woken = new CountDownLatch(1);
            LockBackend.Subscription subscription = redis.subscribeAsync(key, woken::countDown,
                    System.nanoTime() + TIMEOUT.toNanos()).toCompletableFuture().join();
            server.pause();
            try {
                long deadline = System.nanoTime() + Duration.ofMillis(300).toNanos();
                CompletableFuture<AcquireResult> pending = redis.tryAcquireAsync(key, "a", Duration.ofSeconds(30),
                        deadline).toCompletableFuture();
                assertThat(pending).isNotDone();
                await().atMost(TIMEOUT).until(pending::isDone);
                assertThatThrownBy(pending::join).isInstanceOf(CompletionException.class)
                        .cause().isInstanceOf(LockBackendException.class).hasMessageContaining("unknown");
                // The listener of a manager already subscribed is registered without asking the server.
                assertThat(redis.subscribeAsync(key, () -> { }, System.nanoTime() + TIMEOUT.toNanos())
                        .toCompletableFuture()).isDone();
            } finally {
                server.resume();
                subscription.close();
            }
        }
    }

    @Test
    @DisplayName("the first subscription on a silent server fails within the deadline")
    void subscriptionDuringOutage() {
        try (RedisLockBackend redis = backend()) {
            server.pause();
            try {
                CompletableFuture<LockBackend.Subscription> pending = redis.subscribeAsync("async:sub",
                        () -> { }, System.nanoTime() + Duration.ofMillis(300).toNanos()).toCompletableFuture();
                await().atMost(TIMEOUT).until(pending::isDone);
                assertThatThrownBy(pending::join).cause().isInstanceOf(LockBackendException.class);
            } finally {
                server.resume();
            }
        }
    }
}
