package io.distlock.jdbc;

import io.distlock.LockSettings;
import io.distlock.spi.LockUri;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Takes a distlock JDBC URI apart: {@code jdbc:postgresql://host:5432/app?user=app&password=...&lease=10s}. The
 * distlock parameters ({@code lease}, {@code renewal}, {@code timeout}, {@code prefix}, {@code name},
 * {@code poolSize}, {@code createSchema}) are taken out; the URL without its query goes to the driver, and every other query parameter
 * becomes a driver property (so {@code user}, {@code password}, {@code sslmode} and the like work as the driver
 * documents them). Immutable.
 */
final class JdbcUrls {

    static final Set<String> DISTLOCK_PARAMETERS = Set.of("lease", "renewal", "timeout", "prefix", "name",
            "poolSize", "createSchema");
    private static final Pattern SECRET = Pattern.compile("(?i)((?:password|sslpassword|pass|pwd)=)[^&;]*");

    final String url;
    final Map<String, String> driverProperties;
    final LockSettings settings;
    final Integer poolSize;
    final boolean createSchema;

    private JdbcUrls(String url, Map<String, String> driverProperties, LockSettings settings, Integer poolSize,
                     boolean createSchema) {
        this.url = url;
        this.driverProperties = driverProperties;
        this.settings = settings;
        this.poolSize = poolSize;
        this.createSchema = createSchema;
    }

    /**
     * Parses {@code uri}, which starts with {@code jdbc:}.
     *
     * @throws IllegalArgumentException naming the part that is invalid
     */
    static JdbcUrls parse(String uri) {
        return parse(uri, LockSettings.defaults());
    }

    /**
     * Parses {@code uri}, with its lock parameters applied to {@code defaults} (the settings a caller of
     * {@code LockManagers.create(uri, customizer)} made, e.g. with listeners, which a URI cannot name).
     *
     * @throws IllegalArgumentException naming the part that is invalid
     */
    static JdbcUrls parse(String uri, LockSettings defaults) {
        if (!uri.regionMatches(true, 0, "jdbc:", 0, 5) || uri.length() <= 5) {
            throw new IllegalArgumentException("not a JDBC URL: '" + redact(uri) + "'");
        }
        int question = uri.indexOf('?');
        String base = "jdbc:" + (question < 0 ? uri.substring(5) : uri.substring(5, question));
        Map<String, String> driver = new LinkedHashMap<>();
        Map<String, String> ours = new LinkedHashMap<>();
        if (question >= 0) {
            for (String pair : uri.substring(question + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                Map<String, String> target = DISTLOCK_PARAMETERS.contains(name) ? ours : driver;
                if (target.put(name, value) != null) {
                    throw new IllegalArgumentException("parameter '" + name + "' is given twice in '" + redact(uri)
                            + "'");
                }
            }
        }
        LockSettings settings = defaults;
        if (ours.containsKey("lease")) {
            settings = settings.withLease(LockUri.parseDuration("lease", ours.get("lease")));
        }
        if (ours.containsKey("timeout")) {
            settings = settings.withOperationTimeout(LockUri.parseDuration("timeout", ours.get("timeout")));
        }
        if (ours.containsKey("renewal")) {
            settings = settings.withRenewal(bool("renewal", ours.get("renewal")));
        }
        if (ours.containsKey("prefix")) {
            settings = settings.withKeyPrefix(ours.get("prefix"));
        }
        if (ours.containsKey("name")) {
            String name = ours.get("name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("parameter 'name' (the manager's name) must not be blank in '"
                        + redact(uri) + "'");
            }
            settings = settings.withManagerName(name);
        }
        Integer poolSize = null;
        if (ours.containsKey("poolSize")) {
            String text = ours.get("poolSize");
            if (!text.matches("[0-9]{1,4}") || Integer.parseInt(text) < 1) {
                throw new IllegalArgumentException("parameter 'poolSize' must be a positive number, got '" + text
                        + "'");
            }
            poolSize = Integer.parseInt(text);
        }
        boolean createSchema = ours.containsKey("createSchema") && bool("createSchema", ours.get("createSchema"));
        return new JdbcUrls(base, Map.copyOf(driver), settings, poolSize, createSchema);
    }

    private static boolean bool(String name, String text) {
        String t = text.toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return Boolean.parseBoolean(t);
        }
        throw new IllegalArgumentException("parameter '" + name + "' must be true or false, got '" + text + "'");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** {@code url} with the values of password-like parameters replaced by {@code ***}, for messages and logs. */
    static String redact(String url) {
        String redacted = SECRET.matcher(url).replaceAll("$1***");
        // user:password@host forms (MySQL, MariaDB).
        return redacted.replaceAll("//([^/@:?]*):[^/@?]*@", "//$1:***@");
    }
}
