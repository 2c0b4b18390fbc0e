package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.spi.AcquireResult;
import io.distlock.spi.LockBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the asynchronous TCK cannot see: the native forms complete on jetcd's threads, never on the shared pool, and
 * a subscription's stage completes only once etcd confirmed the watch.
 */
class EtcdAsyncTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final Duration LEASE = Duration.ofSeconds(6);
    private static final EtcdTckBackend SERVER = new EtcdTckBackend();

    @BeforeAll
    static void start() {
        SERVER.start();
    }

    @AfterAll
    static void stop() {
        SERVER.stop();
    }

    private static long deadline() {
        return System.nanoTime() + TIMEOUT.toNanos();
    }

    @Test
    void acquiresAndWatchesOnJetcdsThreads() throws Exception {
        String ns = "async-" + UUID.randomUUID();
        for (boolean renewal : new boolean[] {true, false}) {
            try (EtcdLockBackend backend = new EtcdLockBackend(SERVER.client(), false, "/" + ns + "/", LEASE, renewal,
                    TIMEOUT, "etcd under /" + ns + "/")) {
                String key = "k-" + renewal;
                CompletableFuture<String> thread = new CompletableFuture<>();
                AcquireResult acquired = backend.tryAcquireAsync(key, "o1", LEASE, deadline())
                        .whenComplete((r, e) -> thread.complete(Thread.currentThread().getName()))
                        .toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertThat(acquired.isAcquired()).isTrue();
                assertThat(acquired.fencingToken()).isEqualTo(backend.read(key, deadline()).fencingToken());
                assertThat(thread.get(5, TimeUnit.SECONDS)).doesNotStartWith("distlock-blocking");
                assertThat(backend.tryAcquireAsync(key, "o2", LEASE, deadline()).toCompletableFuture()
                        .get(5, TimeUnit.SECONDS).isAcquired()).isFalse();

                CompletableFuture<Void> released = new CompletableFuture<>();
                LockBackend.Subscription subscription = backend.subscribeAsync(key, () -> released.complete(null),
                        deadline()).toCompletableFuture().get(5, TimeUnit.SECONDS);
                assertThat(backend.release(key, "o1")).isTrue();
                released.get(5, TimeUnit.SECONDS);
                subscription.close();
            }
        }
    }

    @Test
    void aDeadlineThatPassedFailsWithLockBackendException() {
        String ns = "async-" + UUID.randomUUID();
        try (EtcdLockBackend backend = new EtcdLockBackend(SERVER.client(), false, "/" + ns + "/", LEASE, true,
                TIMEOUT, "etcd under /" + ns + "/")) {
            // No lease yet, so the grant cannot be answered by a deadline that has passed.
            assertThatThrownBy(() -> backend.tryAcquireAsync("k", "o1", LEASE, System.nanoTime() - 1)
                    .toCompletableFuture().get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(LockBackendException.class)
                    .hasMessageContaining("no answer");
        }
    }
}
