package io.distlock.spi;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KeyedListenersTest {

    @Test
    void aListenerAddedWhileAnotherLeavesIsAlwaysSignalled() throws Exception {
        // The race the old computeIfAbsent/add pattern lost: one thread leaves (dropping the emptied set) while
        // another joins the same key. Every joiner must be reachable by the next signal.
        KeyedListeners listeners = new KeyedListeners();
        int rounds = 20_000;
        AtomicInteger missed = new AtomicInteger();
        CyclicBarrier barrier = new CyclicBarrier(2);
        for (int i = 0; i < rounds; i++) {
            String key = "k" + (i % 4);
            LockBackend.Subscription leaving = listeners.add(key, () -> { });
            CountDownLatch signalled = new CountDownLatch(1);
            Thread leaver = new Thread(() -> {
                await(barrier);
                leaving.close();
            });
            leaver.start();
            await(barrier);
            LockBackend.Subscription joining = listeners.add(key, signalled::countDown);
            leaver.join();
            listeners.signal(key);
            if (signalled.getCount() != 0) {
                missed.incrementAndGet();
            }
            joining.close();
        }
        assertThat(missed).hasValue(0);
        assertThat(listeners.isEmpty()).isTrue();
    }

    @Test
    void signalAllReachesEveryKeyAndAThrowingListenerDoesNotStopTheOthers() {
        KeyedListeners listeners = new KeyedListeners();
        AtomicInteger calls = new AtomicInteger();
        listeners.add("a", () -> {
            throw new IllegalStateException("broken listener");
        });
        listeners.add("a", calls::incrementAndGet);
        listeners.add("b", calls::incrementAndGet);
        assertThatThrownBy(listeners::signalAll).hasMessage("broken listener");
        assertThat(calls).hasValue(2);
    }

    @Test
    void closingASubscriptionTwiceIsHarmless() {
        KeyedListeners listeners = new KeyedListeners();
        LockBackend.Subscription s = listeners.add("a", () -> { });
        s.close();
        s.close();
        assertThat(listeners.hasListeners("a")).isFalse();
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
