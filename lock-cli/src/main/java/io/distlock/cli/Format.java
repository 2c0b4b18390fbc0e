package io.distlock.cli;

import io.distlock.LockInfo;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** How the CLI shows locks: for a person (aligned text) and for a script (JSON, one object per command). */
final class Format {

    private Format() {
    }

    /** A key or name as it can be printed safely: control characters (a terminal escape, a newline) escaped. */
    static String printable(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (sb == null) {
                    sb = new StringBuilder(text.substring(0, i));
                }
                sb.append(String.format("\\u%04x", (int) c));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    /** {@code 850ms}, {@code 27.1s}, {@code 3m 12s}, {@code 2h 5m}, {@code 3d 4h}. */
    static String duration(Duration d) {
        if (d.isNegative()) {
            return "-" + duration(d.negated());
        }
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format("%.1fs", ms / 1000.0);
        }
        long s = d.getSeconds();
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s";
        }
        if (s < 86_400) {
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        }
        return s / 86_400 + "d " + s % 86_400 / 3600 + "h";
    }

    /** When it was acquired and how long ago, e.g. {@code 2026-12-01T23:40:12.345Z (3m 12s ago)}. */
    static String acquired(LockInfo lock, Instant now) {
        if (lock.acquiredAt().isEmpty()) {
            return "unknown (written by a distlock version that recorded no time)";
        }
        Instant at = lock.acquiredAt().get();
        return iso(at) + " (" + age(at, now) + ")";
    }

    static String age(Instant at, Instant now) {
        Duration age = Duration.between(at, now);
        // The time is the holder's clock: a holder whose clock runs ahead shows a moment still to come.
        return age.isNegative() ? "in " + duration(age.negated()) + ": the holder's clock is ahead of this one"
                : duration(age) + " ago";
    }

    static String iso(Instant at) {
        return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS));
    }

    static String token(LockInfo lock) {
        return lock.fencingToken() > 0 ? Long.toString(lock.fencingToken()) : "unknown (this store cannot tell it cheaply)";
    }

    static String lease(LockInfo lock) {
        return lock.leaseRemaining().map(Format::duration)
                .orElse("none: held as long as the holder's session lives");
    }

    /** The lines of {@code distlock holder} for a held key. */
    static List<String> holderLines(LockInfo lock, Instant now) {
        List<String> lines = new ArrayList<>();
        lines.add(printable(lock.key()) + " is held");
        lines.add("  manager      " + printable(lock.managerName()));
        lines.add("  thread       " + printable(lock.threadName()));
        lines.add("  acquired at  " + acquired(lock, now));
        lines.add("  token        " + token(lock));
        lines.add("  lease left   " + lease(lock));
        lines.add("  owner id     " + printable(lock.ownerId()));
        return lines;
    }

    /** The table of {@code distlock list}: one line per lock, columns aligned. */
    static List<String> table(List<LockInfo> locks, Instant now) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"KEY", "MANAGER", "THREAD", "ACQUIRED AT", "AGE", "TOKEN", "LEASE LEFT"});
        for (LockInfo lock : locks) {
            rows.add(new String[] {
                printable(lock.key()),
                printable(lock.managerName()),
                printable(lock.threadName()),
                lock.acquiredAt().map(Format::iso).orElse("-"),
                lock.acquiredAt().map(at -> {
                    Duration age = Duration.between(at, now);
                    return age.isNegative() ? "-" + duration(age.negated()) : duration(age);
                }).orElse("-"),
                lock.fencingToken() > 0 ? Long.toString(lock.fencingToken()) : "-",
                lock.leaseRemaining().map(Format::duration).orElse("session"),
            });
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        List<String> lines = new ArrayList<>();
        for (String[] row : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                sb.append(row[i]);
                if (i < row.length - 1) {
                    sb.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            lines.add(sb.toString().stripTrailing());
        }
        return lines;
    }

    // ---- JSON ----

    /** One lock as a JSON object. */
    static String json(LockInfo lock, Instant now) {
        return "{\"key\":" + quote(lock.key())
                + ",\"held\":true"
                + ",\"manager\":" + quote(lock.managerName())
                + ",\"thread\":" + quote(lock.threadName())
                + ",\"acquiredAt\":" + lock.acquiredAt().map(at -> quote(iso(at))).orElse("null")
                + ",\"ageMillis\":" + lock.acquiredAt().map(at -> Long.toString(Duration.between(at, now).toMillis()))
                        .orElse("null")
                + ",\"fencingToken\":" + (lock.fencingToken() > 0 ? Long.toString(lock.fencingToken()) : "null")
                + ",\"leaseRemainingMillis\":" + lock.leaseRemaining().map(d -> Long.toString(d.toMillis()))
                        .orElse("null")
                + ",\"sessionBound\":" + lock.leaseRemaining().isEmpty()
                + ",\"ownerId\":" + quote(lock.ownerId())
                + "}";
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
