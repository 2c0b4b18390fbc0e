package io.distlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The key layout as lock-redis/README.md documents it for operators, written out here independently of the
 * production code ({@link RedisKeys}), so that tests notice when the two part.
 */
final class RedisKeyLayout {

    private RedisKeyLayout() {
    }

    /** The hash tag of a prefixed key: the key itself if readable, else {@code ~} + base64url of its UTF-8 bytes. */
    static String tag(String key) {
        boolean readable = !key.isEmpty() && key.chars().allMatch(c -> c > ' ' && c < 127
                && "{}~'\"`*?[]\\".indexOf(c) < 0);
        return readable ? key : "~" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static String lockKey(String key) {
        return "distlock:{" + tag(key) + "}:lock";
    }

    static String fenceKey(String key) {
        return "distlock:{" + tag(key) + "}:fence";
    }

    static String recordKey(String key) {
        return "distlock:{" + tag(key) + "}:record";
    }
}
