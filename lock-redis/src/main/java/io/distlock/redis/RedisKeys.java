package io.distlock.redis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The Redis keys of one lock and of one idempotency record. Every key of a lock carries the same hash tag, so that
 * in Redis Cluster they live in one slot and one script can touch them all. The tag is the base64url form of the
 * key's UTF-8 bytes: reversible (two distinct keys never share Redis keys, no hashing, no collisions) and free of
 * braces whatever characters the user key has ({@code {}}, {@code a{b}c}...), which would otherwise move the tag.
 * Lock keys reach us at most 1280 UTF-8 bytes long, so a Redis key is at most about 1.7 KB.
 */
final class RedisKeys {

    /** Before the tag; must contain no brace, or Redis Cluster would hash the wrong part. */
    static final String NAMESPACE = "distlock:{";
    /** The channel every release is published on, with the released lock key as message. */
    static final String RELEASE_CHANNEL = "distlock:released";

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private RedisKeys() {
    }

    /** The key that exists while the lock is held: value {@code <token>:<owner>}, expiring with the lease. */
    static String lockKey(String key) {
        return tag(key) + "}:lock";
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

    private static String tag(String key) {
        return NAMESPACE + ENCODER.encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }
}
