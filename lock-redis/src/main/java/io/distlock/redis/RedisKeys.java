package io.distlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The Redis keys of one lock and of one idempotency record: {@code distlock:{<tag>}:lock}, {@code :fence} and
 * {@code :record}. Every key of a lock carries the same hash tag, so that in Redis Cluster they live in one slot and
 * one script can touch them all.
 *
 * <p>The tag is the (prefixed) key itself when that is readable and safe: every character is a printable ASCII
 * character other than a space, a brace (which would move the hash tag), a quote or backtick (which an operator would
 * have to escape in a shell), a SCAN glob character ({@code * ? [ ] \}) or {@code ~}. Any other key is
 * {@code ~} followed by the base64url form of its UTF-8 bytes (no padding). The mapping is injective: a readable tag
 * never contains {@code ~}, an encoded tag always starts with it, and base64url is reversible; neither form contains a
 * brace, so the tag is exactly what Redis Cluster hashes. Lock keys reach us at most 1280 UTF-8 bytes long, so a
 * Redis key is at most about 1.7 KB.
 */
final class RedisKeys {

    /** Before the tag; must contain no brace, or Redis Cluster would hash the wrong part. */
    static final String NAMESPACE = "distlock:{";
    /** The channel every release is published on, with the released lock key as message. */
    static final String RELEASE_CHANNEL = "distlock:released";

    /** The suffix of a lock key, after the closing brace of its tag. */
    static final String LOCK_SUFFIX = "}:lock";
    /** What an encoded tag starts with; never a character of a readable one. */
    static final char ENCODED = '~';

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
    /** The ASCII characters a tag may show as they are: see the class comment. */
    private static final boolean[] READABLE = new boolean[128];

    static {
        for (char c = '!'; c <= '~'; c++) {
            READABLE[c] = "{}~'\"`*?[]\\".indexOf(c) < 0;
        }
    }

    private RedisKeys() {
    }

    /** The key that exists while the lock is held: value {@code <token>:<owner>}, expiring with the lease. */
    static String lockKey(String key) {
        return tag(key) + LOCK_SUFFIX;
    }

    /**
     * The prefixed key whose {@link #lockKey} is {@code redisKey}, or null if {@code redisKey} is not a lock key of
     * this layout (another application's key that happens to match a SCAN pattern).
     */
    static String keyOfLock(String redisKey) {
        if (!redisKey.startsWith(NAMESPACE) || !redisKey.endsWith(LOCK_SUFFIX)
                || redisKey.length() <= NAMESPACE.length() + LOCK_SUFFIX.length()) {
            return null;
        }
        String tag = redisKey.substring(NAMESPACE.length(), redisKey.length() - LOCK_SUFFIX.length());
        if (tag.charAt(0) != ENCODED) {
            return readable(tag) ? tag : null;
        }
        try {
            String key = new String(DECODER.decode(tag.substring(1)), StandardCharsets.UTF_8);
            // Only the canonical form: a hand-made key whose base64 decodes to a readable key, or has stray bits,
            // is not ours.
            return !key.isEmpty() && tag.equals(tag(key).substring(NAMESPACE.length())) ? key : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * The SCAN MATCH pattern of the lock keys whose prefixed key may start with {@code keyPrefix}: exact for a
     * prefix that is not readable (all its keys are encoded), and covering both forms otherwise, since a readable
     * prefix may continue with a character that makes the whole key encoded. Callers filter the decoded keys.
     */
    static String lockPattern(String keyPrefix) {
        if (keyPrefix.isEmpty() || readable(keyPrefix)) {
            return NAMESPACE + "*" + LOCK_SUFFIX;
        }
        // base64 turns each 3 bytes into 4 characters, so the first whole groups of the prefix are fixed.
        byte[] bytes = keyPrefix.getBytes(StandardCharsets.UTF_8);
        byte[] whole = java.util.Arrays.copyOf(bytes, bytes.length - bytes.length % 3);
        return NAMESPACE + ENCODED + ENCODER.encodeToString(whole) + "*" + LOCK_SUFFIX;
    }

    /** The key holding the last fencing token issued for the lock; same slot as {@link #lockKey}. */
    static String fenceKey(String lockKey) {
        return lockKey.substring(0, lockKey.length() - "lock".length()) + "fence";
    }

    /**
     * The key of an idempotency record ({@link RedisRecordStore}). Same encoding as lock keys, with its own suffix, so
     * a record never shares a Redis key with a lock of the same name. Record keys reach us at most 1400 UTF-8 bytes
     * long plus the store's prefix: about 1.9 KB as Redis keys.
     */
    static String recordKey(String key) {
        return tag(key) + "}:record";
    }

    /**
     * The Redis Cluster hash slot of a key made here (CRC16/XMODEM of its hash tag, modulo 16384), computed locally:
     * Redisson's {@code RKeys.getSlot} asks the server.
     */
    static int slot(String redisKey) {
        int open = redisKey.indexOf('{');
        int close = redisKey.indexOf('}', open + 1);
        String hashed = open >= 0 && close > open + 1 ? redisKey.substring(open + 1, close) : redisKey;
        int crc = 0;
        for (byte b : hashed.getBytes(StandardCharsets.UTF_8)) {
            crc ^= (b & 0xff) << 8;
            for (int i = 0; i < 8; i++) {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }
        return (crc & 0xffff) % 16384;
    }

    /** Whether {@code key} is shown as it is: non-empty and only {@link #READABLE} characters. */
    static boolean readable(String key) {
        int length = key.length();
        if (length == 0) {
            // An empty tag would make Redis Cluster hash the whole key, splitting a lock's keys across slots.
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = key.charAt(i);
            if (c >= 128 || !READABLE[c]) {
                return false;
            }
        }
        return true;
    }

    private static String tag(String key) {
        if (readable(key)) {
            return NAMESPACE + key;
        }
        return NAMESPACE + ENCODED + ENCODER.encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }
}
