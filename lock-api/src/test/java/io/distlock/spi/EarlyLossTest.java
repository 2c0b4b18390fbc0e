package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A session-bound backend can lose a lock between the store's answer and the core's activation of the handle: the
 * acquisition must fail as an outage, not hand out a handle that looks held forever.
 */
class EarlyLossTest {

    /** Grants every key, but reports its loss before the acquisition returns, as a session expiry in flight would. */
    private static final class LosingBackend implements LockBackend {
        private LossListener listener;
        private boolean loseNext = true;

        @Override
        public String name() {
            return "losing";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            if (loseNext) {
                loseNext = false;
                listener.lost(key, owner, LockLoss.Reason.SESSION_LOST, null);
            }
            return AcquireResult.acquired(1);
        }

        @Override
        public boolean release(String key, String owner) {
            return true;
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            return true;
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            return () -> { };
        }

        @Override
        public boolean needsRenewal() {
            return false;
        }

        @Override
        public void setLossListener(LossListener listener) {
            this.listener = listener;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void lossDuringAcquisitionFailsTheAcquisition() {
        try (LockManager manager = LockManagerCore.create(new LosingBackend(), LockSettings.defaults())) {
            assertThatThrownBy(() -> manager.tryLock("k")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("'k'").hasMessageContaining("SESSION_LOST");
            // The key is not left in the local table: the next attempt reaches the backend and succeeds.
            assertThat(manager.tryLock("k")).hasValueSatisfying(handle -> {
                assertThat(handle.isHeld()).isTrue();
                handle.close();
            });
        }
    }
}
