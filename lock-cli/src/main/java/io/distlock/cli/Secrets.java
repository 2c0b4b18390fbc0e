package io.distlock.cli;

import io.distlock.spi.LockUri;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps the passwords of a lock URI out of everything the CLI prints. {@link LockUri#redact} covers user info
 * ({@code redis://user:secret@host}, {@code redis://secret@host}); JDBC URLs also carry them as parameters
 * ({@code ?password=secret}), and a client library's error message might quote either, so every message printed is
 * also scrubbed of the secrets themselves.
 */
final class Secrets {

    /** The parameters that JDBC drivers read passwords from (as lock-jdbc redacts them). */
    private static final Pattern SECRET_PARAMETER =
            Pattern.compile("(?i)([?&;](?:password|sslpassword|pass|pwd)=)([^&;]*)");
    /** {@code //user:password@} in URLs that java.net.URI cannot take apart (JDBC's are opaque). */
    private static final Pattern USER_PASSWORD = Pattern.compile("//([^/@:?]*):([^/@?]*)@");
    /** Secrets shorter than this are not scrubbed from free text: "a" would mangle every message. */
    private static final int MIN_SCRUBBED_LENGTH = 3;

    private final List<String> secrets;

    private Secrets(List<String> secrets) {
        this.secrets = secrets;
    }

    /** The secrets found in every argument that looks like a URL, e.g. all of a command line. */
    static Secrets of(List<String> texts) {
        List<String> found = new ArrayList<>();
        for (String text : texts) {
            if (text == null || !text.contains(":")) {
                continue;
            }
            Matcher parameter = SECRET_PARAMETER.matcher(text);
            while (parameter.find()) {
                found.add(parameter.group(2));
                found.add(decode(parameter.group(2)));
            }
            Matcher userPassword = USER_PASSWORD.matcher(text);
            while (userPassword.find()) {
                found.add(userPassword.group(2));
                found.add(decode(userPassword.group(2)));
            }
            try {
                URI uri = new URI(text);
                String userInfo = uri.getRawUserInfo();
                if (userInfo == null) {
                    // A comma-separated host list leaves the authority unparsed: find user info by hand.
                    int start = text.indexOf("://");
                    int at = start < 0 ? -1 : text.indexOf('@', start);
                    int slash = start < 0 ? -1 : text.indexOf('/', start + 3);
                    if (at >= 0 && (slash < 0 || at < slash)) {
                        userInfo = text.substring(start + 3, at);
                    }
                }
                if (userInfo != null) {
                    int colon = userInfo.indexOf(':');
                    // Without a colon the whole user info may be a password (Redis reads redis://secret@host so).
                    String secret = colon < 0 ? userInfo : userInfo.substring(colon + 1);
                    found.add(secret);
                    found.add(decode(secret));
                }
            } catch (URISyntaxException e) {
                // Not a URI: the patterns above are all there is to find.
            }
        }
        found.removeIf(s -> s.length() < MIN_SCRUBBED_LENGTH);
        // Longest first, so that a secret containing another is replaced whole.
        found.sort(Comparator.comparingInt(String::length).reversed());
        return new Secrets(List.copyOf(found));
    }

    /** {@code uri} as it may be printed: passwords in user info and in parameters replaced by {@code ***}. */
    static String redact(String uri) {
        String redacted = uri;
        try {
            URI parsed = new URI(uri);
            if (!parsed.isOpaque()) {
                redacted = LockUri.redact(parsed);
            }
        } catch (URISyntaxException e) {
            // Redacted by the patterns below.
        }
        redacted = SECRET_PARAMETER.matcher(redacted).replaceAll("$1***");
        return USER_PASSWORD.matcher(redacted).replaceAll("//$1:***@");
    }

    /** {@code text} with every secret of this command line replaced by {@code ***}. */
    String scrub(String text) {
        if (text == null) {
            return null;
        }
        String scrubbed = text;
        for (String secret : secrets) {
            scrubbed = scrubbed.replace(secret, "***");
        }
        return scrubbed;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
