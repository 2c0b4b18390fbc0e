package io.distlock.spring;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import java.util.Optional;
import java.util.UUID;

/**
 * The {@code distlock} health: UP when one lock attempt on a key of this instance gets an answer within the
 * operation timeout (granted, or held by a concurrent check), DOWN with the failure when the backend does not answer
 * or fails. A granted probe lock is released right away; the release is not waited for. Thread safe.
 */
final class DistlockHealthIndicator implements HealthIndicator {

    private final LockManager locks;
    private final String probeKey = "distlock:health:" + UUID.randomUUID();

    DistlockHealthIndicator(LockManager locks) {
        this.locks = locks;
    }

    @Override
    public Health health() {
        long start = System.nanoTime();
        try {
            Optional<LockHandle> probe = locks.tryLock(probeKey);
            long micros = (System.nanoTime() - start) / 1000;
            probe.ifPresent(LockHandle::close);
            return Health.up().withDetail("lockAttemptMicros", micros).build();
        } catch (LockBackendException | IllegalStateException e) {
            return Health.down(e).build();
        }
    }
}
