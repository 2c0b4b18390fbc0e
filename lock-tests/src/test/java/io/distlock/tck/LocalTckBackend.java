package io.distlock.tck;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** Managers of one table name; the faults simulate an unreachable or wiped table. */
final class LocalTckBackend implements TckBackend {
    private final String table = "tck-" + UUID.randomUUID();
    private final LocalFaults faults;

    LocalTckBackend() {
        this(true);
    }

    /** With {@code withFaults} false, no fault injector: the backend's native (inline) asynchronous forms run. */
    LocalTckBackend(boolean withFaults) {
        this.faults = withFaults ? new LocalFaults() : null;
    }

    @Override
    public String name() {
        return faults == null ? "local (no fault injector)" : "local";
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        LocalLockManager.Builder builder = LocalLockManager.builder().name(table).settings(settings);
        return (faults == null ? builder : builder.faults(faults)).build();
    }

    @Override
    public LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(Duration.ofMillis(300));
    }

    @Override
    public Duration shortLease() {
        return Duration.ofMillis(300);
    }

    @Override
    public Optional<Faults> faults() {
        if (faults == null) {
            return Optional.empty();
        }
        return Optional.of(new Faults() {
            @Override
            public void startOutage() {
                faults.startOutage();
            }

            @Override
            public void endOutage() {
                faults.endOutage();
            }

            @Override
            public void loseAllLocks() {
                faults.loseAllLocks();
            }

            @Override
            public void deleteLock(String key) {
                // The kit's managers use no key prefix, so the stored key is the user's key.
                if (!faults.deleteLock(key)) {
                    throw new IllegalStateException("no lock of '" + key + "' to delete");
                }
            }
        });
    }
}
