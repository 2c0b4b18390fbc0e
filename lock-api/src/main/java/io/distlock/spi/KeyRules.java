package io.distlock.spi;

import java.time.Duration;

/** Clause 10: what a valid key and a valid wait are, checked before any network call. */
final class KeyRules {

    static final int MAX_KEY_BYTES = 1024;

    private KeyRules() {
    }

    /**
     * Checks {@code key} in one pass without allocating: the hot path pays a few nanoseconds for a typical key.
     * Unpaired surrogates are rejected because they have no UTF-8 form: two different keys would encode the same.
     */
    static void checkKey(String key) {
        if (key == null) {
            throw new NullPointerException("lock key must not be null");
        }
        int length = key.length();
        if (length == 0) {
            throw new IllegalArgumentException("lock key must not be empty");
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
                throw new IllegalArgumentException("lock key has an unpaired surrogate at index " + i
                        + ", which has no UTF-8 form");
            } else {
                bytes += 3;
            }
            if (blank && !Character.isWhitespace(c)) {
                blank = false;
            }
        }
        if (blank) {
            throw new IllegalArgumentException("lock key must not be blank");
        }
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("lock key is " + bytes + " UTF-8 bytes long; the limit is "
                    + MAX_KEY_BYTES + " (key starts with '" + key.substring(0, Math.min(40, length)) + "')");
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
