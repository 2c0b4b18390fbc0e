package io.distlock.tck;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keys and inputs (clause 10): invalid input fails with a JDK exception that names the problem, before any network
 * call (checked during an outage when the backend has a fault injector); any valid key, however odd, works and stays
 * distinct from every other key.
 */
public abstract class KeyTck extends AbstractTck {

    @Test
    @DisplayName("clause 10.1: null, empty, blank, oversized and malformed keys fail with a message naming the problem")
    void badKeysAreRejected() {
        LockManager manager = newManager();
        assertThatThrownBy(() -> manager.tryLock(null)).as(clause("10.1", "null key"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("key");
        expectIllegal(() -> manager.tryLock(""), "empty");
        expectIllegal(() -> manager.tryLock("   \t\n"), "blank");
        expectIllegal(() -> manager.tryLock("k".repeat(1025)), "1024");
        expectIllegal(() -> manager.tryLock("é".repeat(513)), "1024");
        expectIllegal(() -> manager.tryLock("bad\uD800surrogate"), "surrogate");
        expectIllegal(() -> manager.tryLock("", Duration.ofSeconds(1)), "empty");
        expectIllegal(() -> manager.lock(" ", Duration.ofSeconds(1)), "blank");
    }

    @Test
    @DisplayName("clause 10.2: null and negative waits fail with a message naming the wait")
    void badWaitsAreRejected() {
        LockManager manager = newManager();
        String key = randomKey("bad-wait");
        assertThatThrownBy(() -> manager.tryLock(key, null)).as(clause("10.2", "null wait"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("wait");
        expectIllegal(() -> manager.tryLock(key, Duration.ofMillis(-1)), "negative");
        expectIllegal(() -> manager.lock(key, Duration.ofMillis(-1)), "negative");
    }

    @Test
    @DisplayName("clause 10.1: bad input fails before any network call (during an outage it is still the input error)")
    void validationNeedsNoBackend() {
        TckBackend.Faults faults = faults();
        LockManager manager = newManager();
        faults.startOutage();
        try {
            expectIllegal(() -> manager.tryLock(" "), "blank");
            expectIllegal(() -> manager.tryLock(randomKey("x"), Duration.ofSeconds(-1)), "negative");
            assertThatThrownBy(() -> manager.tryLock(null)).isInstanceOf(NullPointerException.class);
        } finally {
            faults.endOutage();
        }
    }

    @Test
    @DisplayName("clause 10.3: odd but valid keys lock, exclude and stay distinct from each other")
    void oddKeysWork() {
        LockManager a = newManager();
        LockManager b = newManager();
        String base = randomKey("odd");
        List<String> keys = List.of(
                base + "/a/b", base + "/a_b", base + "/a:b", base + "/a%2Fb", base + "/../..", base + "/.",
                base + "/..", base + " with spaces ", base + "/\u00fcn\u00efc\u00f8d\u00e9/\u65e5\u672c/\uD83D\uDD12",
                base + "/{braces}", base + "/{", base + "/}{", base + "/zookeeper", base + "/\u0000\u0001\u007f",
                base + "/*?[]", base + "/\\", base + "/'\"", base + "/%", base + "/+ =&",
                "zookeeper", ".", "..", "/", "{}", base.toUpperCase(),
                base + "x".repeat(1024 - base.length() - 1) + "y");
        List<LockHandle> held = new ArrayList<>();
        try {
            for (String key : keys) {
                LockHandle handle = a.tryLock(key).orElse(null);
                assertThat(handle).as(clause("10.3", "key '%s' could not be locked (collides with another?)", key))
                        .isNotNull();
                held.add(handle);
                assertThat(handle.key()).isEqualTo(key);
            }
            for (String key : keys) {
                assertThat(b.tryLock(key)).as(clause("10.3", "key '%s' is not excluded across managers", key))
                        .isEmpty();
            }
        } finally {
            held.forEach(LockHandle::close);
        }
        for (String key : keys) {
            lockFree(b, key, "10.3").close();
        }
    }

    private void expectIllegal(Executable call, String fragment) {
        assertThatThrownBy(call::execute).as(clause("10", "expected IllegalArgumentException mentioning '%s'", fragment))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(fragment);
    }
}
