package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.TckBackend;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The TCK fixture for a Redis deployment: each manager builds (and owns) its own client, as a replica would. */
final class RedisTckBackend implements TckBackend {

    private final String name;
    private final Supplier<RedisLockManager.Builder> builders;
    private final Faults faults;

    RedisTckBackend(String name, Supplier<RedisLockManager.Builder> builders, Faults faults) {
        this.name = name;
        this.builders = builders;
        this.faults = faults;
    }

    /** Faults of one server: SIGSTOP/SIGCONT for an outage, FLUSHALL for losing every lock. */
    static Faults faultsOf(RedisServer server) {
        return new Faults() {
            @Override
            public void startOutage() {
                server.pause();
            }

            @Override
            public void endOutage() {
                server.resume();
            }

            @Override
            public void loseAllLocks() {
                server.cli("FLUSHALL");
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        return builders.get().settings(settings).build();
    }

    @Override
    public LockSettings settings() {
        // Short enough to keep the outage tests quick, long enough for a loaded 2-core machine.
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(1));
    }

    @Override
    public Optional<Faults> faults() {
        return Optional.ofNullable(faults);
    }
}
