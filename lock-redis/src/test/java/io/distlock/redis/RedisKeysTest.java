package io.distlock.redis;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The key layout: readable where safe, injective, one hash slot per lock, and decodable back for listings. */
@DisplayName("redis: key layout")
class RedisKeysTest {

    /** Odd keys: braces, colons, spaces, unicode, '~', glob characters, and keys that look like the encoded form. */
    private static List<String> oddKeys() {
        List<String> keys = new ArrayList<>(List.of("orders:42", "a", "A", "job/nightly-report", "user@example.com",
                "x=1,y=2", "100%", "a|b", "(x)", "<tag>", "a;b", "a&b", "$HOME", "^", "#1", "!",
                "{", "}", "{}", "a{b}c", "}{", "{orders}", "distlock:{x}:lock", "x}:lock", ":", "::", "a:", ":a",
                " ", "a b", " a", "a ", "\t", "\n", "a\nb", "\u0000", "é", "e\u0301", "日本", "\uD83D\uDE00",
                "~", "~~", "a~", "~a", "~b3JkZXJz", "~b3JkZXJzOjQy", "b3JkZXJzOjQy", "~" + "orders:42",
                "*", "a*", "?", "[a]", "\\", "a\\*", "'", "\"", "`", "k".repeat(1280), "é".repeat(640)));
        Random random = new Random(42);
        String alphabet = "ab:{}~ *?[]\\'\"`é\uD83D\uDE00-_.=+/";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder key = new StringBuilder();
            int length = 1 + random.nextInt(8);
            for (int j = 0; j < length; j++) {
                int at = random.nextInt(alphabet.length());
                char c = alphabet.charAt(at);
                key.append(c);
                if (Character.isHighSurrogate(c)) {
                    key.append(alphabet.charAt(at + 1));
                }
            }
            String made = key.toString().replaceAll("(?<!\uD83D)\uDE00", "");
            if (!made.isEmpty()) {
                // Keys are never empty (the core refuses them).
                keys.add(made);
            }
        }
        // Every printable ASCII character and a few others alone, and after a readable start.
        for (char c = 0; c < 300; c++) {
            keys.add(String.valueOf(c));
            keys.add("k" + c);
        }
        return keys;
    }

    @Test
    @DisplayName("distinct keys never share a Redis key, and each lock key decodes back to its key")
    void injective() {
        Map<String, String> seen = new HashMap<>();
        for (String key : oddKeys()) {
            String lockKey = RedisKeys.lockKey(key);
            String before = seen.put(lockKey, key);
            assertThat(before == null || before.equals(key)).as("%s and %s share %s", before, key, lockKey).isTrue();
            assertThat(RedisKeys.keyOfLock(lockKey)).as(lockKey).isEqualTo(key);
            assertThat(lockKey).isEqualTo(RedisKeyLayout.lockKey(key));
            assertThat(RedisKeys.fenceKey(lockKey)).isEqualTo(RedisKeyLayout.fenceKey(key));
            assertThat(RedisKeys.recordKey(key)).isEqualTo(RedisKeyLayout.recordKey(key));
        }
        assertThat(seen).hasSizeGreaterThan(10_000);
    }

    @Test
    @DisplayName("a lock's keys share one hash tag without braces inside, so one Cluster slot")
    void oneSlot() {
        for (String key : oddKeys()) {
            String lockKey = RedisKeys.lockKey(key);
            String tag = lockKey.substring("distlock:{".length(), lockKey.length() - "}:lock".length());
            assertThat(tag).as(key).isNotEmpty().doesNotContain("{").doesNotContain("}");
            assertThat(RedisKeys.slot(RedisKeys.fenceKey(lockKey))).isEqualTo(RedisKeys.slot(lockKey));
            assertThat(RedisKeys.slot(RedisKeys.recordKey(key))).isEqualTo(RedisKeys.slot(lockKey));
        }
    }

    @Test
    @DisplayName("readable keys stay as they are; everything else is ~ + base64url")
    void readableWhereSafe() {
        assertThat(RedisKeys.lockKey("orders:42")).isEqualTo("distlock:{orders:42}:lock");
        assertThat(RedisKeys.lockKey("app1:job/nightly-report")).isEqualTo("distlock:{app1:job/nightly-report}:lock");
        assertThat(RedisKeys.lockKey("a b")).isEqualTo("distlock:{~YSBi}:lock");
        assertThat(RedisKeys.lockKey("~b3JkZXJz")).startsWith("distlock:{~").isNotEqualTo("distlock:{~b3JkZXJz}:lock");
        assertThat(RedisKeys.lockKey("a{b}c")).isEqualTo("distlock:{~YXtifWM}:lock");
    }

    @Test
    @DisplayName("foreign and non-canonical Redis keys are not taken for locks")
    void foreignKeys() {
        for (String foreign : List.of("distlock:{}:lock", "distlock:{a}:fence", "other:{a}:lock", "distlock:{a b}:lock",
                "distlock:{~!!}:lock", "distlock:{~YQ}:lock", "distlock:{~YR}:lock", "distlock:{a}b}:lock",
                "distlock:{~}:lock")) {
            assertThat(RedisKeys.keyOfLock(foreign)).as(foreign).isNull();
        }
    }

    @Test
    @DisplayName("the SCAN pattern of a prefix matches every lock key under it")
    void patterns() {
        for (String prefix : List.of("", "orders:", "a b", "é", "ab", "abc", "abcd", "{", "~")) {
            String pattern = RedisKeys.lockPattern(prefix);
            for (String key : oddKeys().subList(0, 200)) {
                String full = prefix + key;
                assertThat(glob(pattern, RedisKeys.lockKey(full))).as("%s ~ %s", pattern, full).isTrue();
            }
        }
    }

    /** Redis's glob for the patterns made here: only '*' is special in them. */
    private static boolean glob(String pattern, String s) {
        String[] parts = pattern.split("\\*", -1);
        if (!s.startsWith(parts[0])) {
            return false;
        }
        int at = parts[0].length();
        for (int i = 1; i < parts.length - 1; i++) {
            int found = s.indexOf(parts[i], at);
            if (found < 0) {
                return false;
            }
            at = found + parts[i].length();
        }
        String last = parts[parts.length - 1];
        return s.length() - last.length() >= at && s.endsWith(last);
    }
}
