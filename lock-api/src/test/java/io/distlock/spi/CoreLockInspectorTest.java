package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockInfo;
import io.distlock.LockInspector;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the core's inspector does around a backend's answers, against scripted backends the TCK cannot express. */
class CoreLockInspectorTest {

    /** A backend with no locks of its own whose inspection answers are scripted. */
    private static class Scripted implements LockBackend, LockInspection {
        final AtomicInteger lists = new AtomicInteger();
        Function<String, StoredLock> read = key -> null;
        /** The page for a cursor (null for the first). */
        Function<String, Page> page = cursor -> new Page(List.of(), null);

        @Override
        public String name() {
            return "scripted";
        }

        @Override
        public AcquireResult tryAcquire(String key, String owner, Duration lease) {
            return AcquireResult.held();
        }

        @Override
        public boolean release(String key, String owner) {
            return false;
        }

        @Override
        public boolean renew(String key, String owner, Duration lease) {
            return false;
        }

        @Override
        public Subscription subscribe(String key, Runnable onRelease) {
            return () -> { };
        }

        @Override
        public void close() {
        }

        @Override
        public StoredLock read(String key, long deadlineNanos) {
            return read.apply(key);
        }

        @Override
        public Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
            lists.incrementAndGet();
            return page.apply(cursor);
        }
    }

    private static LockManager manager(LockBackend backend, String prefix) {
        return LockManagerCore.create(backend, LockSettings.defaults().withKeyPrefix(prefix));
    }

    @Test
    void listDropsKeysOutsideThePrefixStripsTheManagersPrefixAndFillsSparsePages() {
        Scripted backend = new Scripted();
        backend.page = cursor -> switch (cursor == null ? "" : cursor) {
            // A glob-matching store may return a key that only looks alike; a SCAN step may find nothing.
            case "" -> new LockInspection.Page(List.of(new StoredLock("app:jobs/1", "o1", 1, 5),
                    new StoredLock("app:jobsX", "o2", 2, 5), new StoredLock("other:jobs/2", "o3", 3, 5)), "c1");
            case "c1" -> new LockInspection.Page(List.of(), "c2");
            case "c2" -> new LockInspection.Page(List.of(new StoredLock("app:jobs/2", "o4", 4, -1),
                    new StoredLock("app:jobs/1", "o1", 1, 5)), null);
            default -> throw new AssertionError(cursor);
        };
        try (LockManager manager = manager(backend, "app:")) {
            LockInspector.Page page = manager.inspector().list("jobs/", null, 10);
            assertThat(page.locks()).extracting(LockInfo::key).containsExactly("jobs/1", "jobs/2");
            assertThat(page.nextCursor()).isNull();
            assertThat(page.locks().get(1).leaseRemaining()).isEmpty();
            assertThat(page.locks().get(0).managerName()).isEqualTo("unknown");
            assertThat(backend.lists.get()).isEqualTo(3);
        }
    }

    @Test
    void aFullPageEndsTheCallWithTheBackendsCursor() {
        Scripted backend = new Scripted();
        List<StoredLock> two = new ArrayList<>(List.of(new StoredLock("a", "o", 1, 1), new StoredLock("b", "o", 2, 1)));
        backend.page = cursor -> new LockInspection.Page(two, "more");
        try (LockManager manager = manager(backend, "")) {
            LockInspector.Page page = manager.inspector().list("", null, 2);
            assertThat(page.locks()).hasSize(2);
            assertThat(page.nextCursor()).isEqualTo("more");
            assertThat(backend.lists.get()).isEqualTo(1);
        }
    }

    @Test
    void failuresAreOutagesButABadCursorStaysTheCallersMistake() {
        Scripted backend = new Scripted();
        try (LockManager manager = manager(backend, "")) {
            LockInspector inspector = manager.inspector();
            backend.read = key -> {
                throw new LinkageError("client class path mismatch");
            };
            assertThatThrownBy(() -> inspector.holder("k")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("'k'").hasMessageContaining("scripted");
            assertThatThrownBy(() -> inspector.forceRelease("k", "incident 7"))
                    .isInstanceOf(LockBackendException.class);
            backend.page = cursor -> null;
            assertThatThrownBy(() -> inspector.list("", null, 5)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("null");
            backend.page = cursor -> {
                throw new IllegalArgumentException("not a cursor of ours: " + cursor);
            };
            assertThatThrownBy(() -> inspector.list("", "forged", 5)).isExactlyInstanceOf(
                    IllegalArgumentException.class).hasMessageContaining("forged");
            assertThatThrownBy(() -> inspector.list("", null, 5)).isInstanceOf(LockBackendException.class);
        }
    }

    @Test
    void forceReleaseOfALockThatChangedHandsIsEmpty() {
        Scripted backend = new Scripted();
        backend.read = key -> new StoredLock(key, "someone;1;m;t", 3, 100);
        try (LockManager manager = manager(backend, "")) {
            // The scripted release answers false: the owner read is no longer the holder.
            assertThat(manager.inspector().forceRelease("k", "incident 7")).isEmpty();
            assertThat(manager.inspector().holder("k")).map(LockInfo::managerName).contains("m");
        }
    }

    @Test
    void aBackendWithoutInspectionIsNamed() {
        LockBackend plain = new Scripted() {
        };
        LockBackend without = new LockBackend() {
            @Override
            public String name() {
                return "plain";
            }

            @Override
            public AcquireResult tryAcquire(String key, String owner, Duration lease) {
                return plain.tryAcquire(key, owner, lease);
            }

            @Override
            public boolean release(String key, String owner) {
                return false;
            }

            @Override
            public boolean renew(String key, String owner, Duration lease) {
                return false;
            }

            @Override
            public Subscription subscribe(String key, Runnable onRelease) {
                return () -> { };
            }

            @Override
            public void close() {
            }
        };
        try (LockManager manager = manager(without, "")) {
            assertThatThrownBy(manager::inspector).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("plain").hasMessageContaining("LockInspection");
        }
    }
}
