package io.distlock.idempotency;

import io.distlock.spi.KeyRules;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * The stored form of an idempotency record: status (claimed by a run, completed, failed), SHA-256 of the request fingerprint (the fingerprint itself may
 * hold personal data and has no bound), the fencing token of the run, then the encoded result or failure text.
 */
final class Records {

    static final byte COMPLETED = 1;
    static final byte FAILED = 2;
    /** A run in progress, with its fencing token: completed by replacing exactly this value. */
    static final byte CLAIMED = 3;
    static final int HEADER = 1 + 32 + 8;
    static final int MAX_KEY_BYTES = 1000;

    private Records() {
    }

    record Parsed(byte status, byte[] fingerprint, long fencingToken, byte[] payload) {
    }

    static byte[] encode(byte status, byte[] fingerprintHash, long token, byte[] payload) {
        return ByteBuffer.allocate(HEADER + payload.length).put(status).put(fingerprintHash).putLong(token)
                .put(payload).array();
    }

    static Parsed parse(String key, byte[] record) {
        if (record.length < HEADER || record[0] < COMPLETED || record[0] > CLAIMED) {
            throw new IdempotencyException(key, "the stored record of idempotency key '" + key
                    + "' is not one distlock wrote", null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(record);
        byte status = buffer.get();
        byte[] fingerprint = new byte[32];
        buffer.get(fingerprint);
        long token = buffer.getLong();
        return new Parsed(status, fingerprint, token, Arrays.copyOfRange(record, HEADER, record.length));
    }

    static byte[] hash(String fingerprint) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(fingerprint.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Checks an idempotency key or token scope with the lock keys' rules (clause 10), at most {@code max} bytes. */
    static void checkKey(String what, String key, int max) {
        KeyRules.checkKey(what, key, max);
    }

    static void checkTtl(java.time.Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
    }
}
