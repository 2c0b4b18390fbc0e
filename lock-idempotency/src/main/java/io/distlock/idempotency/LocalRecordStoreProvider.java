package io.distlock.idempotency;

import io.distlock.idempotency.spi.RecordStore;
import io.distlock.idempotency.spi.RecordStoreProvider;
import io.distlock.spi.LockUri;

import java.util.Set;

/**
 * {@code local://NAME}: the in-process {@link LocalRecordStore#named named} store, shared by every store of that name
 * in the class loader, as {@code local://NAME} locks are. Public only for {@link java.util.ServiceLoader}.
 */
public final class LocalRecordStoreProvider implements RecordStoreProvider {

    /** Creates the provider; called by {@link java.util.ServiceLoader}. */
    public LocalRecordStoreProvider() {
    }

    @Override
    public Set<String> schemes() {
        return Set.of("local");
    }

    @Override
    public RecordStore create(LockUri uri) {
        boolean noPath = uri.path().isEmpty() || uri.path().equals("/");
        if (uri.hosts().size() > 1 || uri.userInfo().isPresent() || !noPath) {
            throw new IllegalArgumentException("a local record store URI names one store: local://NAME, got " + uri);
        }
        return LocalRecordStore.named(uri.hosts().isEmpty() ? "default" : uri.hosts().get(0));
    }
}
