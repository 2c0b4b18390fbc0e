package io.distlock.zookeeper;

import org.apache.zookeeper.common.PathUtils;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

class ZnodeNamesTest {

    private static final List<String> ODD_KEYS = List.of(
            "a", "a/b", "a%2Fb", "a%b", "/", "//", ".", "..", "...", "zookeeper", "k", "ka", "%6Ba",
            "\u0000", "\u0001\u001f", "\u007f\u009f", "\uD83D\uDD12", "\uE000", "\uFFF0\uFFFF", "\uFFFD",
            "spaces and\ttabs", "\u00e9", "e\u0301", "\u65e5\u672c", "x".repeat(1280), "\u00e9".repeat(640));

    @Test
    void everyNameIsAValidZnodeName() {
        for (String key : ODD_KEYS) {
            String name = ZnodeNames.encode(key);
            assertThatCode(() -> PathUtils.validatePath("/distlock/locks/" + name)).as("key %s -> %s", key, name)
                    .doesNotThrowAnyException();
            assertThat(name).isNotIn(".", "..", "zookeeper").doesNotContain("/");
        }
    }

    @Test
    void encodingIsInjectiveAndReversible() {
        Set<String> names = new HashSet<>();
        for (String key : ODD_KEYS) {
            String name = ZnodeNames.encode(key);
            assertThat(ZnodeNames.decode(name)).isEqualTo(key);
            assertThat(names.add(name)).as("%s collides", key).isTrue();
        }
    }

    @Test
    void typicalKeysStayReadable() {
        assertThat(ZnodeNames.encode("user-update_42")).isEqualTo("kuser-update_42");
        assertThat(ZnodeNames.encode("user-update:42")).isEqualTo("kuser-update%3A42");
    }

    @Test
    void worstCaseLengthIsBounded() {
        // 1024 key bytes + 256 prefix bytes, all escaped.
        assertThat(ZnodeNames.encode("\u00e9".repeat(640))).hasSize(1 + 1280 * 3);
    }
}
