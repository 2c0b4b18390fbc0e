package io.distlock.redis;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.tck.TckBackend;

import java.time.Duration;
import java.util.Optional;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.Supplier;

/** The TCK fixture for a Redis deployment: each manager builds (and owns) its own client, as a replica would. */
final class RedisTckBackend implements TckBackend {

    private final String name;
    private final Function<LockSettings, LockManager> factory;
    private final Faults faults;

    RedisTckBackend(String name, Function<LockSettings, LockManager> factory, Faults faults) {
        this.name = name;
        this.factory = factory;
        this.faults = faults;
    }

    /** Managers from builders that {@code builders} prepares with connection settings. */
    static Function<LockSettings, LockManager> builders(Supplier<RedisLockManager.Builder> builders) {
        return settings -> builders.get().settings(settings).build();
    }

    /** The URI query for {@code settings}, for fixtures that make their managers from URIs. */
    static String query(LockSettings settings) {
        return "?lease=" + settings.lease().toMillis() + "ms&renewal=" + settings.renewal() + "&timeout="
                + settings.operationTimeout().toMillis() + "ms&prefix=" + encode(settings.keyPrefix()) + "&name="
                + encode(settings.managerName());
    }

    /** Percent-encoding as URIs decode it: URLEncoder's '+' for a space is form encoding, not URI encoding. */
    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The key prefix of the settings the TCK starts from (LockSettings' default), applied by deleteLock. */
    static final String PREFIX = LockSettings.defaults().keyPrefix();

    /** Faults of one server: SIGSTOP/SIGCONT for an outage, FLUSHALL for losing every lock, DEL for one. */
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

            @Override
            public void deleteLock(String key) {
                server.cli("DEL", RedisKeys.lockKey(PREFIX + key));
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public LockManager newManager(LockSettings settings) {
        return factory.apply(settings);
    }

    @Override
    public LockSettings settings() {
        // Short enough to keep the outage tests quick, long enough for a loaded 2-core machine.
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2));
    }

    @Override
    public Optional<Faults> faults() {
        return Optional.ofNullable(faults);
    }
}
