package io.distlock.spi;

import io.distlock.LockBackendException;
import io.distlock.LockInfo;
import io.distlock.LockInspector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link LockInspector} of a {@link LockManagerCore} whose backend implements {@link LockInspection}: the
 * manager's key rules, prefix, operation timeout and failure rules around the backend's read and list, and
 * force-release as a read followed by the owner-checked {@link LockBackend#release}. Thread safe.
 */
final class CoreLockInspector implements LockInspector {

    /** The audit log of force-releases; named in docs/OPERATIONS.md, so operators can route it. */
    private static final Logger audit = LoggerFactory.getLogger("io.distlock.inspection");
    static final int MAX_LIMIT = 1000;

    private final LockManagerCore manager;
    private final LockBackend backend;
    private final LockInspection inspection;
    private final String keyPrefix;
    private final long timeoutNanos;

    CoreLockInspector(LockManagerCore manager, LockBackend backend, LockInspection inspection, String keyPrefix,
                      long timeoutNanos) {
        this.manager = manager;
        this.backend = backend;
        this.inspection = inspection;
        this.keyPrefix = keyPrefix;
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public Optional<LockInfo> holder(String key) {
        KeyRules.checkKey(key);
        manager.ensureOpen();
        StoredLock lock = read(key, System.nanoTime() + timeoutNanos);
        return lock == null ? Optional.empty() : Optional.of(OwnerDescription.info(key, lock));
    }

    @Override
    public Page list(String keyPrefix, String cursor, int limit) {
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        checkPrefix(keyPrefix);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", got " + limit);
        }
        manager.ensureOpen();
        String prefix = this.keyPrefix.concat(keyPrefix);
        long start = System.nanoTime();
        long deadline = start + timeoutNanos;
        // Repeats within one call are dropped here; across pages it is the caller's to drop them (weak consistency).
        Map<String, LockInfo> found = new LinkedHashMap<>();
        String next = cursor;
        do {
            LockInspection.Page page = listPage(prefix, next, limit - found.size(), deadline, keyPrefix);
            for (StoredLock lock : page.locks()) {
                // A store that matches more loosely than startsWith (a glob, a range) must not leak other keys.
                if (lock.key().startsWith(prefix)) {
                    String userKey = lock.key().substring(this.keyPrefix.length());
                    found.putIfAbsent(userKey, OwnerDescription.info(userKey, lock));
                }
            }
            next = page.nextCursor();
            // A store that pages sparsely (a Redis SCAN step finds few or no locks) is asked again while the page is
            // not full and at least half the timeout is left, so one call rarely answers "nothing yet, go on".
        } while (next != null && found.size() < limit && deadline - System.nanoTime() > timeoutNanos / 2);
        return new Page(new ArrayList<>(found.values()), next);
    }

    @Override
    public Optional<LockInfo> forceRelease(String key, String reason) {
        KeyRules.checkKey(key);
        Objects.requireNonNull(reason, "reason must not be null");
        if (reason.isBlank()) {
            throw new IllegalArgumentException("reason must not be blank: it is what the audit log says about "
                    + "the force-release of '" + key + "'");
        }
        manager.ensureOpen();
        StoredLock lock = read(key, System.nanoTime() + timeoutNanos);
        if (lock == null) {
            audit.info("force-release of lock '{}' on {}: nobody holds it; reason: {}", key, backend.name(),
                    printable(reason));
            return Optional.empty();
        }
        String backendKey = backendKey(key);
        boolean released;
        try {
            // Owner-checked: a lock that changed hands since the read is left alone.
            released = backend.release(backendKey, lock.owner());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            throw manager.failure(e, "could not force-release", key);
        }
        LockInfo info = OwnerDescription.info(key, lock);
        if (!released) {
            audit.info("force-release of lock '{}' on {}: it changed hands or expired after it was read; nothing "
                    + "released; reason: {}", key, backend.name(), printable(reason));
            return Optional.empty();
        }
        audit.warn("force-released lock '{}' on {} held by manager '{}', thread '{}' since {} (owner {}, token {}); "
                        + "reason: {}", key, backend.name(), info.managerName(), info.threadName(),
                info.acquiredAt().map(Object::toString).orElse("unknown"), info.ownerId(), info.fencingToken(),
                printable(reason));
        manager.releasedByOperator(backendKey, lock.owner());
        return Optional.of(info);
    }

    private StoredLock read(String key, long deadline) {
        try {
            return inspection.read(backendKey(key), deadline);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            throw manager.failure(e, "could not read", key);
        }
    }

    private LockInspection.Page listPage(String prefix, String cursor, int limit, long deadline, String userPrefix) {
        LockInspection.Page page;
        try {
            page = inspection.list(prefix, cursor, limit, deadline);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // The backend's word on a cursor it did not give out: the caller's mistake, not an outage.
            if (cursor != null) {
                throw e;
            }
            throw manager.failure(e, "could not list", userPrefix + "*");
        } catch (Throwable e) {
            throw manager.failure(e, "could not list", userPrefix + "*");
        }
        if (page == null) {
            throw manager.failure(new IllegalStateException("the backend answered null"), "could not list",
                    userPrefix + "*");
        }
        return page;
    }

    private String backendKey(String key) {
        return keyPrefix.isEmpty() ? key : keyPrefix.concat(key);
    }

    /** The rules of keys, except that a prefix may be empty or blank: at most 1024 UTF-8 bytes, no lone surrogate. */
    private static void checkPrefix(String prefix) {
        if (prefix.isEmpty()) {
            return;
        }
        // A trailing letter makes a blank prefix pass the not-blank rule without changing any other verdict.
        KeyRules.checkKey("key prefix to list", prefix + "x", KeyRules.MAX_KEY_BYTES + 1);
    }

    /** The operator's text for one log line: control characters (line breaks that could forge entries) as spaces. */
    private static String printable(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                if (out == null) {
                    out = new StringBuilder(text);
                }
                out.setCharAt(i, ' ');
            }
        }
        return out == null ? text : out.toString();
    }

    @Override
    public String toString() {
        return "LockInspector[" + backend.name() + "]";
    }
}
