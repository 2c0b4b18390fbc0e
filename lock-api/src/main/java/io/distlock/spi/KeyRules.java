package io.distlock.spi;

import java.time.Duration;

/**
 * Clause 10: what a valid key and a valid wait are, checked before any network call. Public so that backends and
 * modules keying their own records (idempotency keys, token scopes) apply the same rules, without allocating.
 */
public final class KeyRules {

    /** The longest lock key, in UTF-8 bytes. */
    public static final int MAX_KEY_BYTES = 1024;

    private KeyRules() {
    }

    /**
     * Checks {@code key} in one pass without allocating: the hot path pays a few nanoseconds for a typical key.
     * Unpaired surrogates are rejected because they have no UTF-8 form: two different keys would encode the same.
     */
    static void checkKey(String key) {
        checkKey("lock key", key, MAX_KEY_BYTES);
    }

    /**
     * Checks that {@code key} is non-null, not blank, well-formed UTF-16 (no unpaired surrogates, which have no
     * UTF-8 form and would make two keys encode the same) and at most {@code maxBytes} UTF-8 bytes.
     *
     * @param what how the message names the key, e.g. {@code idempotency key}
     * @param key the key to check
     * @param maxBytes the largest accepted length in UTF-8 bytes
     * @throws NullPointerException if {@code key} is null
     * @throws IllegalArgumentException naming {@code what} and the problem otherwise
     */
    public static void checkKey(String what, String key, int maxBytes) {
        if (key == null) {
            throw new NullPointerException(what + " must not be null");
        }
        int length = key.length();
        if (length == 0) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        int bytes = 0;
        boolean blank = true;
        for (int i = 0; i < length; i++) {
            char c = key.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(key.charAt(i + 1))) {
                bytes += 4;
                i++;
                blank = false;
                continue;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i
                        + ", which has no UTF-8 form");
            } else {
                bytes += 3;
            }
            if (blank && !Character.isWhitespace(c)) {
                blank = false;
            }
        }
        if (blank) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(what + " is " + bytes + " UTF-8 bytes long; the limit is " + maxBytes
                    + " (it starts with '" + key.substring(0, Math.min(40, length)) + "')");
        }
    }

    static void checkWait(Duration wait) {
        if (wait == null) {
            throw new NullPointerException("wait must not be null");
        }
        if (wait.isNegative()) {
            throw new IllegalArgumentException("wait must not be negative, got " + wait);
        }
    }

    /** {@code d} in nanoseconds, saturated instead of overflowing for absurdly long durations. */
    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            // Longer than 292 years: a quarter of the range keeps deadline arithmetic free of overflow.
            return Long.MAX_VALUE / 4;
        }
    }
}
