package io.distlock.local;

import io.distlock.LockManager;
import io.distlock.spi.LockManagerProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code local://NAME[?lease=..&renewal=..&timeout=..&prefix=..&name=..]}: an in-process manager on the table called NAME
 * ({@code default} when absent). Public only for {@link java.util.ServiceLoader}.
 */
public final class LocalLockProvider implements LockManagerProvider {

    @Override
    public Set<String> schemes() {
        return Set.of("local");
    }

    @Override
    public LockManager create(LockUri uri) {
        boolean noPath = uri.path().isEmpty() || uri.path().equals("/");
        if (uri.hosts().size() > 1 || uri.userInfo().isPresent() || !noPath) {
            throw new IllegalArgumentException("a local lock URI names one table: local://NAME, got " + uri);
        }
        String name = uri.hosts().isEmpty() ? "default" : uri.hosts().get(0);
        return LocalLockManager.builder().name(name).settings(uri.settings()).build();
    }
}
