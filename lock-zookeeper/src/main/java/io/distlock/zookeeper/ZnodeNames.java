package io.distlock.zookeeper;

import java.nio.charset.StandardCharsets;

/**
 * Turns any lock key into one valid znode name, injectively. ZooKeeper rejects names with control characters
 * (U+0000-U+001F, U+007F-U+009F), any surrogate (so every emoji), the private-use area, U+FFF0-U+FFFF, the names
 * {@code .} and {@code ..}, and '/' separates path components. Rather than escape exactly those (a rule that would
 * break when ZooKeeper's list changes), the name is {@code k} followed by the key's UTF-8 bytes, with
 * {@code [A-Za-z0-9_~-]} kept and every other byte written as {@code %XX} (upper-case hex). The output is pure ASCII,
 * can never be {@code .}, {@code ..} or {@code zookeeper}, keeps typical keys readable ({@code order-42} becomes
 * {@code korder-42}), and decodes back to the key, which is why distinct keys never share a node. A 1280-byte key
 * becomes at most 3841 characters; ZooKeeper limits only whole requests (1 MiB).
 */
final class ZnodeNames {

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private ZnodeNames() {
    }

    static String encode(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        StringBuilder name = new StringBuilder(bytes.length + 16).append('k');
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
                    || c == '~') {
                name.append((char) c);
            } else {
                name.append('%').append(HEX[c >>> 4]).append(HEX[c & 0xF]);
            }
        }
        return name.toString();
    }

    /** The inverse of {@link #encode}, for diagnostics and tests of injectivity. */
    static String decode(String name) {
        if (name.isEmpty() || name.charAt(0) != 'k') {
            throw new IllegalArgumentException("not a distlock znode name: " + name);
        }
        byte[] out = new byte[name.length()];
        int n = 0;
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '%') {
                out[n++] = (byte) Integer.parseInt(name, i + 1, i + 3, 16);
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }
}
