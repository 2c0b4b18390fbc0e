package io.distlock.cli;

import io.distlock.LockHandle;
import io.distlock.LockInfo;
import io.distlock.LockInspector;
import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code scripted://NAME}: a manager whose inspector answers from pages a test scripted, to check what the CLI does
 * with repeats across pages, limits and odd keys, which a real store does not produce on demand. Not a backend: the
 * CLI's behaviour against real stores is tested on real servers.
 */
public final class ScriptedInspectorProvider implements LockManagerProvider {

    /** What {@code scripted://NAME} answers. */
    static final class Script {
        final List<List<LockInfo>> pages = new ArrayList<>();
        final Map<String, LockInfo> holders = new ConcurrentHashMap<>();
        final AtomicInteger pagesServed = new AtomicInteger();
        final List<String> reasons = new ArrayList<>();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger created = new AtomicInteger();
    }

    static final Map<String, Script> SCRIPTS = new ConcurrentHashMap<>();

    static Script script(String name) {
        Script script = new Script();
        SCRIPTS.put(name, script);
        return script;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("scripted");
    }

    @Override
    public LockManager create(LockUri uri) {
        Script script = SCRIPTS.get(uri.hosts().get(0));
        script.open.incrementAndGet();
        script.created.incrementAndGet();
        return new LockManager() {
            @Override
            public Optional<LockHandle> tryLock(String key) {
                throw new AssertionError("the CLI must not take locks");
            }

            @Override
            public Optional<LockHandle> tryLock(String key, Duration wait) {
                throw new AssertionError("the CLI must not take locks");
            }

            @Override
            public LockInspector inspector() {
                return new LockInspector() {
                    @Override
                    public Optional<LockInfo> holder(String key) {
                        return Optional.ofNullable(script.holders.get(key));
                    }

                    @Override
                    public Page list(String keyPrefix, String cursor, int limit) {
                        int index = cursor == null ? 0 : Integer.parseInt(cursor);
                        script.pagesServed.incrementAndGet();
                        List<LockInfo> page = script.pages.get(index).stream()
                                .filter(lock -> lock.key().startsWith(keyPrefix)).toList();
                        return new Page(page, index + 1 < script.pages.size() ? Integer.toString(index + 1) : null);
                    }

                    @Override
                    public Optional<LockInfo> forceRelease(String key, String reason) {
                        synchronized (script.reasons) {
                            script.reasons.add(reason);
                        }
                        return Optional.ofNullable(script.holders.remove(key));
                    }
                };
            }

            @Override
            public void close() {
                script.open.decrementAndGet();
            }
        };
    }
}
