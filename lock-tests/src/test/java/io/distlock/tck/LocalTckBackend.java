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
    private final LocalFaults faults = new LocalFaults();

    @Override
    public String name() {
        return "local";
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        return LocalLockManager.builder().name(table).settings(settings).faults(faults).build();
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
