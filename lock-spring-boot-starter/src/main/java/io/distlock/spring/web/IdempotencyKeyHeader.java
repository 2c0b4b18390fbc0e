package io.distlock.spring.web;

/**
 * Parses the {@code Idempotency-Key} header: a structured-field string ({@code "abc"}, RFC 8941 section 3.3.3, as the
 * IETF draft defines the field) or, leniently, a bare token ({@code abc}, as most clients send it).
 */
final class IdempotencyKeyHeader {

    static final String NAME = "Idempotency-Key";
    static final int MAX_LENGTH = 255;

    private IdempotencyKeyHeader() {
    }

    /**
     * @param value the header's only value
     * @return the key
     * @throws IllegalArgumentException with a message for the client if the value is not a valid key
     */
    static String parse(String value) {
        String text = value.strip();
        String key;
        if (text.startsWith("\"")) {
            StringBuilder out = new StringBuilder(text.length());
            int i = 1;
            boolean closed = false;
            while (i < text.length()) {
                char c = text.charAt(i++);
                if (c == '\\') {
                    if (i >= text.length() || (text.charAt(i) != '"' && text.charAt(i) != '\\')) {
                        throw new IllegalArgumentException("a backslash in a quoted " + NAME + " may only escape \" "
                                + "or \\");
                    }
                    out.append(text.charAt(i++));
                } else if (c == '"') {
                    closed = true;
                    break;
                } else if (c < 0x20 || c > 0x7e) {
                    throw new IllegalArgumentException(NAME + " may contain only printable ASCII characters");
                } else {
                    out.append(c);
                }
            }
            if (!closed || i != text.length()) {
                throw new IllegalArgumentException("a quoted " + NAME + " must be one string, closed by '\"', with "
                        + "nothing after it");
            }
            key = out.toString();
        } else {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c <= 0x20 || c > 0x7e || c == '"') {
                    throw new IllegalArgumentException("an unquoted " + NAME + " may contain only visible ASCII "
                            + "characters without spaces or quotes; quote it as a structured-field string otherwise");
                }
            }
            key = text;
        }
        if (key.isBlank()) {
            throw new IllegalArgumentException(NAME + " must not be empty");
        }
        if (key.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(NAME + " must be at most " + MAX_LENGTH + " characters, got "
                    + key.length());
        }
        return key;
    }
}
