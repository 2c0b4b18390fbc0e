package io.distlock.spi;

import io.distlock.LockInfo;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The owner strings the core gives backends, and how it reads them back: a unique id followed by a description of
 * the acquisition, all in at most {@value #MAX_LENGTH} printable ASCII characters ({@code '!'} to {@code '~'}):
 * <pre>
 *   ID;ACQUIRED_AT;MANAGER;THREAD        e.g.  3f9a0c1d2e4b5a69:17;1764631200123;web-3:12345;http-nio-8080-exec-4
 * </pre>
 * <ul>
 *   <li>{@code ID} is the manager's 16 random hex digits, {@code ':'} and the handle's sequence number: unique per
 *       acquisition, and all that the owner was before descriptions existed;</li>
 *   <li>{@code ACQUIRED_AT} is the acquiring process's wall clock in epoch milliseconds, in decimal;</li>
 *   <li>{@code MANAGER} and {@code THREAD} are the manager's name and the acquiring thread's name, UTF-8 and
 *       percent-encoded: every byte outside {@code '!'..'~'}, and {@code '%'}, {@code ';'}, {@code '|'} and
 *       {@code '\'} themselves, is written {@code %XX}. So {@code ';'} only ever separates fields and the string
 *       splits unambiguously; {@code '|'} and {@code '\'} are encoded too because stores frame or escape values with
 *       them (the Hazelcast backend stores {@code owner|token|...}). A name longer
 *       than its room ({@value #MAX_MANAGER_CHARS} encoded characters for the manager, {@value #MAX_THREAD_CHARS}
 *       for the thread) is cut at a character boundary and ends with {@code ...}.</li>
 * </ul>
 * An owner without {@code ';'} (written by an older version, {@code hex:seq}) reads as that id with unknown names and
 * no time; fields after {@code THREAD}, which a later version may add, are ignored. Thread safe.
 */
final class OwnerDescription {

    /** The longest owner a backend must store, as {@link LockBackend} says. */
    static final int MAX_LENGTH = 256;
    /** Room for the manager's name, encoded. */
    static final int MAX_MANAGER_CHARS = 64;
    /** Room for the thread's name, encoded. id (17 + 19) + time (13) + names (64 + 128) + 3 separators = 244. */
    static final int MAX_THREAD_CHARS = 128;
    /** What a name reads as when the owner carries none. */
    static final String UNKNOWN = "unknown";
    static final char SEPARATOR = ';';
    private static final String TRUNCATED = "...";
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    /** The encoded name of each thread, for the thread name it was made from (threads may be renamed). */
    private static final ThreadLocal<EncodedName> THREAD_NAMES = new ThreadLocal<>();

    private record EncodedName(String name, String encoded) {
    }

    /**
     * The wall clock as last read, with the {@link System#nanoTime()} of that moment. An acquisition derives its
     * time from the nanoTime it reads anyway: {@link System#currentTimeMillis()} cost 50 to 150 ns per call on the
     * 2-core CI machine, more than the rest of the description together.
     */
    private static volatile WallClock wallClock = WallClock.now();
    /** How long a reading of the wall clock is used: a clock stepped by NTP shows in owners within this. */
    private static final long WALL_CLOCK_REREAD_NANOS = 1_000_000_000L;

    /** The wall clock in epoch nanoseconds (microsecond resolution) at {@code nanos} on the nanoTime scale. */
    private record WallClock(long nanos, long epochNanos) {
        static WallClock now() {
            long before = System.nanoTime();
            Instant wall = Instant.now();
            long after = System.nanoTime();
            // The midpoint: a thread paused between the reads errs by half the pause, not all of it.
            return new WallClock(before + (after - before) / 2, wall.getEpochSecond() * 1_000_000_000L
                    + wall.getNano());
        }
    }

    private OwnerDescription() {
    }

    /**
     * The wall clock in epoch milliseconds at {@code nowNanos}, from a reading of it at most a second old.
     *
     * @param nowNanos a recent {@link System#nanoTime()}
     * @return epoch milliseconds
     */
    static long wallMillis(long nowNanos) {
        WallClock clock = wallClock;
        long since = nowNanos - clock.nanos;
        if (since >= WALL_CLOCK_REREAD_NANOS || since < -WALL_CLOCK_REREAD_NANOS) {
            // Racing threads may each read the clock; any of their readings is as good.
            clock = WallClock.now();
            wallClock = clock;
            since = nowNanos - clock.nanos;
        }
        return Math.floorDiv(clock.epochNanos + since, 1_000_000L);
    }

    /**
     * The part of every owner of one manager that follows the acquisition time: {@code |MANAGER|}.
     *
     * @param managerName the manager's name
     * @return the encoded part
     */
    static String managerPart(String managerName) {
        return SEPARATOR + encode(managerName, MAX_MANAGER_CHARS) + SEPARATOR;
    }

    /**
     * The current thread's name, encoded; cached per thread so an acquisition only concatenates.
     *
     * @return the encoded name
     */
    static String currentThread() {
        String name = Thread.currentThread().getName();
        EncodedName cached = THREAD_NAMES.get();
        // getName() returns the same String until the thread is renamed: the reference check is the usual case.
        if (cached != null && (cached.name == name || cached.name.equals(name))) {
            return cached.encoded;
        }
        String encoded = encode(name, MAX_THREAD_CHARS);
        THREAD_NAMES.set(new EncodedName(name, encoded));
        return encoded;
    }

    /**
     * One owner.
     *
     * @param idPrefix the manager's random hex digits and {@code ':'}
     * @param sequence the handle's number in its manager
     * @param acquiredAtMillis the wall clock at the acquisition
     * @param managerPart {@link #managerPart}
     * @param thread {@link #currentThread()} of the acquiring thread
     * @return the owner
     */
    static String owner(String idPrefix, long sequence, long acquiredAtMillis, String managerPart, String thread) {
        // One concatenation (one allocation of the result) per acquisition.
        return idPrefix + sequence + SEPARATOR + acquiredAtMillis + managerPart + thread;
    }

    /**
     * Percent-encodes {@code text} (UTF-8) into at most {@code maxChars} characters, cutting it at a character
     * boundary with {@code ...} if it does not fit.
     */
    static String encode(String text, int maxChars) {
        int length = text.length();
        boolean plain = true;
        for (int i = 0; i < length && plain; i++) {
            plain = isPlain(text.charAt(i));
        }
        if (plain) {
            // Printable ASCII, the usual case: no copy unless it must be cut.
            return length <= maxChars ? text : text.substring(0, maxChars - TRUNCATED.length()) + TRUNCATED;
        }
        int room = maxChars - TRUNCATED.length();
        StringBuilder out = new StringBuilder(Math.min(maxChars + 12, length * 3));
        int lastFit = 0;
        for (int i = 0; i < length; ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            if (codePoint < 0x80 && isPlain((char) codePoint)) {
                out.append((char) codePoint);
            } else {
                // An unpaired surrogate has no UTF-8 form: written as '?', as String.getBytes does.
                boolean unpaired = codePoint >= Character.MIN_SURROGATE && codePoint <= Character.MAX_SURROGATE;
                byte[] utf8 = unpaired ? new byte[] {'?'}
                        : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8);
                for (byte b : utf8) {
                    out.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
                }
            }
            if (out.length() <= room) {
                lastFit = out.length();
            } else if (out.length() > maxChars) {
                // It does not fit whole: back to the last character boundary that leaves room for the marker.
                out.setLength(lastFit);
                return out.append(TRUNCATED).toString();
            }
        }
        return out.toString();
    }

    private static boolean isPlain(char c) {
        return c >= '!' && c <= '~' && c != '%' && c != SEPARATOR && c != '|' && c != '\\';
    }

    /** Reverses {@link #encode}; lenient: a {@code '%'} not followed by two hex digits is kept as it is. */
    static String decode(String encoded) {
        int percent = encoded.indexOf('%');
        if (percent < 0) {
            return encoded;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            int high;
            int low;
            if (c == '%' && i + 2 < encoded.length() && (high = Character.digit(encoded.charAt(i + 1), 16)) >= 0
                    && (low = Character.digit(encoded.charAt(i + 2), 16)) >= 0) {
                bytes.write(high << 4 | low);
                i += 2;
            } else if (c < 0x80) {
                bytes.write(c);
            } else {
                byte[] raw = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(raw, 0, raw.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** An owner taken apart; names are {@link #UNKNOWN} and the time empty where the owner carries none. */
    record Parsed(String ownerId, String managerName, String threadName, Optional<Instant> acquiredAt) {
    }

    /**
     * Takes an owner apart.
     *
     * @param owner the owner as a backend stored it
     * @return its parts
     */
    static Parsed parse(String owner) {
        int first = owner.indexOf(SEPARATOR);
        if (first < 0) {
            return new Parsed(owner, UNKNOWN, UNKNOWN, Optional.empty());
        }
        String id = owner.substring(0, first);
        int second = owner.indexOf(SEPARATOR, first + 1);
        int third = second < 0 ? -1 : owner.indexOf(SEPARATOR, second + 1);
        if (third < 0) {
            return new Parsed(id, UNKNOWN, UNKNOWN, Optional.empty());
        }
        int fourth = owner.indexOf(SEPARATOR, third + 1);
        Optional<Instant> at;
        try {
            long millis = Long.parseLong(owner, first + 1, second, 10);
            at = millis < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
        } catch (NumberFormatException e) {
            // Not one of ours; the names may still be.
            at = Optional.empty();
        }
        return new Parsed(id, decode(owner.substring(second + 1, third)),
                decode(owner.substring(third + 1, fourth < 0 ? owner.length() : fourth)), at);
    }

    /**
     * What operators see of one stored lock.
     *
     * @param userKey the key without the manager's prefix
     * @param lock the lock as the backend returned it
     * @return the description
     */
    static LockInfo info(String userKey, StoredLock lock) {
        Parsed parsed = parse(lock.owner());
        long remaining = lock.leaseRemainingNanos();
        return new LockInfo(userKey, parsed.ownerId(), parsed.managerName(), parsed.threadName(), parsed.acquiredAt(),
                lock.fencingToken(), remaining < 0 ? Optional.empty() : Optional.of(Duration.ofNanos(remaining)));
    }
}
