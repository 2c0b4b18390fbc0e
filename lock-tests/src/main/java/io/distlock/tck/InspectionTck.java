package io.distlock.tck;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockInfo;
import io.distlock.LockInspector;
import io.distlock.LockLoss;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Inspection (clause 13): who holds a key, which keys are held, and force-release, through
 * {@link LockManager#inspector()}, checked across managers as an operator on another host would use it. A backend
 * that does not implement {@code io.distlock.spi.LockInspection} fails every test here with a message saying so
 * (every backend of this library implements it); a backend module extends this class with its fixture, as for
 * {@link LockManagerTck}.
 */
public abstract class InspectionTck extends AbstractTck {

    /**
     * The inspector of {@code manager}, or a failure that says the backend cannot be inspected.
     *
     * @param manager the manager
     * @return its inspector
     */
    protected LockInspector inspector(LockManager manager) {
        try {
            return manager.inspector();
        } catch (UnsupportedOperationException e) {
            throw new AssertionError(clause("13.1", "the manager cannot be inspected (%s); a backend offers "
                    + "inspection by implementing io.distlock.spi.LockInspection beside LockBackend",
                    e.getMessage()), e);
        }
    }

    @Test
    @DisplayName("clause 13.1: the holder of another manager's lock shows that manager's name, the acquiring "
            + "thread's name, when it was acquired, the handle's fencing token and at most a lease left")
    void holderDescribesTheAcquisition() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        // Odd characters in both names: the description must survive the store's encoding.
        String managerName = "tck-manager " + suffix + " | 100% ü";
        String threadName = "tck-holder " + suffix + " | 线程 %";
        LockSettings settings = backend().settings().withManagerName(managerName);
        LockManager holderManager = newManager(settings);
        LockInspector operator = inspector(newManager());
        String key = randomKey("holder");
        Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        LockHandle handle = onThread(threadName, () -> lockFree(holderManager, key, "13.1"));
        Instant after = Instant.now();
        try {
            LockInfo info = operator.holder(key).orElseThrow(() -> new AssertionError(
                    clause("13.1", "holder(%s) is empty while another manager holds it", key)));
            assertThat(info.key()).as(clause("13.1", "the key of the holder")).isEqualTo(key);
            assertThat(info.managerName()).as(clause("13.1", "the holder's manager name")).isEqualTo(managerName);
            assertThat(info.threadName()).as(clause("13.1", "the acquiring thread's name")).isEqualTo(threadName);
            assertThat(info.acquiredAt()).as(clause("13.1", "acquired-at of %s", key)).isPresent();
            // A millisecond either side: the core derives the wall clock from System.nanoTime().
            assertThat(info.acquiredAt().get()).as(clause("13.1", "acquired-at between %s and %s", before, after))
                    .isBetween(before.minusMillis(1), after.plusMillis(1));
            if (backend().lacks(TckBackend.Capability.INSPECTED_FENCING_TOKEN).isPresent()) {
                assertThat(info.fencingToken()).as(clause("13.1", "the fencing token, or 0 where the store cannot "
                        + "tell it")).isIn(0L, handle.fencingToken());
            } else {
                assertThat(info.fencingToken()).as(clause("13.1", "the holder's fencing token"))
                        .isEqualTo(handle.fencingToken());
            }
            info.leaseRemaining().ifPresent(left -> assertThat(left)
                    .as(clause("13.1", "lease remaining of %s with a lease of %s", key, settings.lease()))
                    .isPositive().isLessThanOrEqualTo(settings.lease()));
            assertThat(info.ownerId()).as(clause("13.1", "the owner id")).isNotBlank()
                    .doesNotContain(managerName);
            assertThat(operator.holder(key).map(LockInfo::ownerId)).as(clause("13.1", "the owner id of a second "
                    + "read of the same holding")).contains(info.ownerId());
        } finally {
            handle.close();
        }
    }

    @Test
    @DisplayName("clause 13.2: holder is empty for a key never held and for a released key, and the next holder is "
            + "another owner")
    void holderIsEmptyWhenFree() {
        LockManager manager = newManager();
        LockInspector operator = inspector(newManager());
        String key = randomKey("free");
        assertThat(operator.holder(key)).as(clause("13.2", "holder of the free key %s", key)).isEmpty();
        LockHandle handle = lockFree(manager, key, "13.2");
        String first = operator.holder(key).map(LockInfo::ownerId).orElseThrow(() -> new AssertionError(
                clause("13.2", "holder(%s) is empty while it is held", key)));
        handle.close();
        assertThat(operator.holder(key)).as(clause("13.2", "holder of %s after release", key)).isEmpty();
        try (LockHandle again = lockFree(manager, key, "13.2")) {
            assertThat(operator.holder(key).map(LockInfo::ownerId)).as(clause("13.2", "the owner id of the next "
                    + "holding of %s", key)).isPresent().isNotEqualTo(Optional.of(first));
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    @DisplayName("clause 13.3: keys with odd characters (unicode, braces, slashes, spaces, 1024 bytes) come back "
            + "unchanged from holder and list")
    void oddKeysRoundTrip() {
        LockManager manager = newManager();
        LockInspector operator = inspector(newManager());
        String base = randomKey("inspect-odd");
        List<String> keys = List.of(base + "/a/b", base + " with spaces ", base + "/{braces}", base + "/}{",
                base + "/\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c/\uD83D\uDD12", base + "/*?[]", base + "/%2F",
                base + "/|pipe|", base + "\\", base + "x".repeat(1024 - base.length()));
        List<LockHandle> held = new ArrayList<>();
        try {
            for (String key : keys) {
                held.add(lockFree(manager, key, "13.3"));
            }
            for (String key : keys) {
                assertThat(operator.holder(key).map(LockInfo::key)).as(clause("13.3", "holder of %s", key))
                        .contains(key);
            }
            assertThat(listAll(operator, base, 1000)).as(clause("13.3", "the keys listed under %s", base))
                    .containsExactlyInAnyOrderElementsOf(keys);
        } finally {
            held.forEach(LockHandle::close);
        }
    }

    @Test
    @DisplayName("clause 13.4: list with limit 10 pages through 25 held keys, and leaves out released keys, keys "
            + "outside the prefix and keys outside the manager's key prefix")
    void listPagesThroughHeldKeys() {
        LockManager manager = newManager();
        String ownPrefix = backend().settings().keyPrefix() + "tck-prefix-" + UUID.randomUUID() + ":";
        LockManager prefixed = newManager(backend().settings().withKeyPrefix(ownPrefix));
        LockInspector operator = inspector(newManager());
        String base = randomKey("list");
        Set<String> expected = new LinkedHashSet<>();
        List<LockHandle> held = new ArrayList<>();
        try {
            for (int i = 0; i < 25; i++) {
                String key = base + "/" + i;
                held.add(lockFree(manager, key, "13.4"));
                expected.add(key);
            }
            for (int i = 0; i < 3; i++) {
                lockFree(manager, base + "/released-" + i, "13.4").close();
            }
            held.add(lockFree(manager, randomKey("list-elsewhere"), "13.4"));
            // The same user key under another manager prefix is another key, listed only by that manager.
            held.add(lockFree(prefixed, base + "/in-prefix", "13.4"));
            Set<String> seen = new LinkedHashSet<>();
            String cursor = null;
            int pages = 0;
            do {
                LockInspector.Page page = operator.list(base, cursor, 10);
                assertThat(page.locks().size()).as(clause("13.4", "page %d of %s has more than the limit", pages,
                        base)).isLessThanOrEqualTo(10);
                for (LockInfo info : page.locks()) {
                    seen.add(info.key());
                    assertThat(info.managerName()).as(clause("13.4", "the listed holder of %s", info.key()))
                            .isEqualTo(backend().settings().managerName());
                }
                cursor = page.nextCursor();
                assertThat(++pages).as(clause("13.4", "pages of %s never end", base)).isLessThan(1000);
            } while (cursor != null);
            assertThat(seen).as(clause("13.4", "the keys listed under %s in %d pages", base, pages))
                    .containsExactlyInAnyOrderElementsOf(expected);
            assertThat(listAll(inspector(prefixed), base, 10)).as(clause("13.4", "the keys listed under %s by a "
                    + "manager with key prefix %s", base, ownPrefix)).containsExactly(base + "/in-prefix");
            assertThat(inspector(prefixed).holder(base + "/0")).as(clause("13.4", "%s/0 through a manager with "
                    + "another key prefix", base)).isEmpty();
        } finally {
            held.forEach(LockHandle::close);
        }
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 13.5: forceRelease frees another manager's key at once; that holder reports lost() within "
            + "about a lease and a timeout and is not held after")
    void forceReleaseFreesTheKey() {
        LockSettings settings = shortLeaseSettings(true);
        LockManager holderManager = newManager(settings);
        // The next holder keeps the default lease: a short one could run out on a loaded machine while this test
        // waits for the old holder's loss, and look like the old handle's close had released it.
        LockManager next = newManager();
        LockInspector operator = inspector(newManager());
        String key = randomKey("force");
        LockHandle stuck = lockFree(holderManager, key, "13.5");
        Optional<LockInfo> released = operator.forceRelease(key, "tck: the holder is stuck");
        assertThat(released.map(LockInfo::managerName)).as(clause("13.5", "forceRelease(%s) returns the holder",
                key)).contains(settings.managerName());
        try (LockHandle taken = next.tryLock(key).orElseThrow(() -> new AssertionError(
                clause("13.5", "%s is not free right after forceRelease", key)))) {
            Duration bound = settings.lease().plus(settings.operationTimeout()).multipliedBy(2);
            LockLoss loss = awaitLoss(stuck, bound, "13.5", "after forceRelease");
            assertThat(loss.key()).isEqualTo(key);
            assertThat(stuck.isHeld()).as(clause("13.5", "isHeld() of the force-released handle")).isFalse();
            stuck.close();
            LockInfo now = operator.holder(key).orElseThrow(() -> new AssertionError(clause("13.5", "the new "
                    + "holder of %s is gone after the force-released handle was closed", key)));
            if (now.fencingToken() != 0) {
                assertThat(now.fencingToken()).as(clause("13.5", "the holder of %s after the old handle's close",
                        key)).isEqualTo(taken.fencingToken());
            }
            assertThat(taken.isHeld()).as(clause("13.5", "the new holder of %s", key)).isTrue();
        }
    }

    @Test
    @DisplayName("clause 13.5: forceRelease through the holder's own manager reports its handle lost at once")
    void forceReleaseOfOwnHandle() {
        LockManager manager = newManager();
        String key = randomKey("force-own");
        LockHandle handle = lockFree(manager, key, "13.5");
        assertThat(inspector(manager).forceRelease(key, "tck: own handle")).as(clause("13.5", "forceRelease(%s)",
                key)).isPresent();
        LockLoss loss = awaitLoss(handle, soon(), "13.5", "after forceRelease through its own manager");
        assertThat(loss.reason()).as(clause("13.5", "why the own handle was lost")).isEqualTo(
                LockLoss.Reason.NOT_OWNER);
        assertThat(handle.isHeld()).isFalse();
        lockFree(manager, key, "13.5").close();
    }

    @Test
    @DisplayName("clause 13.5: forceRelease of a free key is empty")
    void forceReleaseOfFreeKeyIsEmpty() {
        LockManager manager = newManager();
        LockInspector operator = inspector(newManager());
        String key = randomKey("force-free");
        assertThat(operator.forceRelease(key, "tck")).as(clause("13.5", "forceRelease of free %s", key)).isEmpty();
        lockFree(manager, key, "13.5").close();
        assertThat(operator.forceRelease(key, "tck")).as(clause("13.5", "forceRelease of released %s", key))
                .isEmpty();
    }

    @Test
    @DisplayName("clause 13.6: invalid keys, a blank reason and an invalid limit fail with a message naming them")
    void badInputIsRejected() {
        LockInspector operator = inspector(newManager());
        expectBadInput(operator);
    }

    @Test
    @DisplayName("clause 13.6: bad input fails before any network call (during an outage it is still the input "
            + "error)")
    void badInputNeedsNoBackend() {
        TckBackend.Faults faults = faults();
        LockInspector operator = inspector(newManager());
        faults.startOutage();
        try {
            long start = System.nanoTime();
            expectBadInput(operator);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as(clause("13.6", "rejecting bad input during an outage took %s", took))
                    .isLessThan(backend().settings().operationTimeout());
        } finally {
            faults.endOutage();
        }
    }

    private void expectBadInput(LockInspector operator) {
        String key = randomKey("bad");
        assertThatThrownBy(() -> operator.holder(null)).as(clause("13.6", "holder(null)"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("key");
        expectIllegal(() -> operator.holder(" "), "blank");
        expectIllegal(() -> operator.holder("k".repeat(1025)), "1024");
        expectIllegal(() -> operator.holder("bad\uD800"), "surrogate");
        expectIllegal(() -> operator.forceRelease(key, " \t"), "reason");
        expectIllegal(() -> operator.forceRelease("", "tck"), "empty");
        assertThatThrownBy(() -> operator.forceRelease(key, null)).as(clause("13.6", "forceRelease without reason"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("reason");
        assertThatThrownBy(() -> operator.list(null, null, 10)).as(clause("13.6", "list(null)"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("keyPrefix");
        expectIllegal(() -> operator.list("", null, 0), "limit");
        expectIllegal(() -> operator.list("", null, 1001), "limit");
    }

    @Test
    @Tag(STOCHASTIC)
    @DisplayName("clause 13.7: during an outage holder, list and forceRelease throw LockBackendException within the "
            + "timeout, never empty")
    void outageIsAnError() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager(backend().settings().withLease(Duration.ofSeconds(30)));
        LockInspector operator = inspector(newManager());
        String key = randomKey("inspect-outage");
        LockHandle handle = lockFree(manager, key, "13.7");
        faults.startOutage();
        try {
            expectBackendException(() -> operator.holder(key), key, "holder");
            expectBackendException(() -> operator.list(key, null, 10), key, "list");
            expectBackendException(() -> operator.forceRelease(key, "tck: outage"), key, "forceRelease");
        } finally {
            faults.endOutage();
        }
        org.awaitility.Awaitility.await("clause 13.7: holder of " + key + " after the outage").atMost(soon())
                .pollInterval(Duration.ofMillis(20)).ignoreException(LockBackendException.class)
                .until(() -> operator.holder(key).isPresent());
        handle.close();
    }

    @Test
    @DisplayName("clause 13.8: inspecting through a closed manager throws IllegalStateException")
    void closedManagerRefuses() {
        LockManager manager = newManager();
        LockInspector operator = inspector(manager);
        manager.close();
        String key = randomKey("closed");
        for (Executable call : List.<Executable>of(() -> operator.holder(key), () -> operator.list("", null, 10),
                () -> operator.forceRelease(key, "tck"), manager::inspector)) {
            assertThatThrownBy(call::execute).as(clause("13.8", "a call on a closed manager"))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    /** Every key listed under {@code prefix}, page after page. */
    private List<String> listAll(LockInspector operator, String prefix, int limit) {
        Set<String> keys = new LinkedHashSet<>();
        String cursor = null;
        int pages = 0;
        do {
            LockInspector.Page page = operator.list(prefix, cursor, limit);
            page.locks().forEach(info -> keys.add(info.key()));
            cursor = page.nextCursor();
            assertThat(++pages).as(clause("13.4", "pages of %s never end", prefix)).isLessThan(1000);
        } while (cursor != null);
        return new ArrayList<>(keys);
    }

    private <T> T onThread(String name, Supplier<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(call.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        try {
            return result.get(soon().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AssertionError(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(clause("13.1", "no lock within %s on thread %s", soon(), name), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private void expectIllegal(Executable call, String messagePart) {
        assertThatThrownBy(call::execute).as(clause("13.6", "bad input (%s)", messagePart))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(messagePart);
    }

    private void expectBackendException(Supplier<Object> call, String key, String what) {
        Duration timeout = backend().settings().operationTimeout();
        Duration bound = timeout.multipliedBy(2).plusSeconds(2);
        long start = System.nanoTime();
        CompletableFuture<Object> answer = new CompletableFuture<>();
        // On a thread of its own, so a call that hangs fails here instead of hanging the kit.
        Thread caller = new Thread(() -> {
            try {
                answer.complete(call.get());
            } catch (Throwable t) {
                answer.completeExceptionally(t);
            }
        }, "inspect-outage-" + what);
        caller.setDaemon(true);
        caller.start();
        try {
            Object result = answer.get(bound.plus(soon()).toMillis(), TimeUnit.MILLISECONDS);
            fail(clause("13.7", "%s of %s answered %s during an outage instead of throwing LockBackendException",
                    what, key, result));
        } catch (java.util.concurrent.TimeoutException e) {
            caller.interrupt();
            fail(clause("13.7", "%s of %s hung during an outage: no answer after %s", what, key, bound.plus(soon())));
        } catch (java.util.concurrent.ExecutionException e) {
            if (!(e.getCause() instanceof LockBackendException)) {
                throw new AssertionError(clause("13.7", "%s of %s threw %s during an outage, not "
                        + "LockBackendException", what, key, e.getCause()), e.getCause());
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as(clause("13.7", "%s of %s threw after %s, operation timeout %s", what, key, took,
                    timeout)).isLessThan(bound);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted", e);
        }
    }
}
