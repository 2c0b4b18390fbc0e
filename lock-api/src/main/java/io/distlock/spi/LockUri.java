package io.distlock.spi;

import io.distlock.LockSettings;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A lock URI taken apart once, with the common query parameters already turned into {@link LockSettings}, so every
 * backend parses {@code lease}, {@code renewal}, {@code timeout}, {@code prefix} and {@code name} (the manager's
 * name, {@link LockSettings#managerName()}) the same way. Handles the
 * comma-separated host lists that URIs for clusters use ({@code redis-cluster://h1:7000,h2:7001}), which
 * {@link URI#getHost()} does not. Immutable and thread safe.
 */
public final class LockUri {

    /** Query parameters every backend accepts. */
    public static final Set<String> COMMON_PARAMETERS = Set.of("lease", "renewal", "timeout", "prefix", "name");

    private final URI uri;
    private final String scheme;
    private final String userInfo;
    private final List<String> hosts;
    private final String path;
    private final Map<String, String> parameters;
    private final LockSettings settings;

    private LockUri(URI uri, String scheme, String userInfo, List<String> hosts, String path,
                    Map<String, String> parameters, LockSettings settings) {
        this.uri = uri;
        this.scheme = scheme;
        this.userInfo = userInfo;
        this.hosts = hosts;
        this.path = path;
        this.parameters = parameters;
        this.settings = settings;
    }

    /**
     * Parses {@code uri}.
     *
     * @param uri the URI to parse
     * @return the parsed URI
     * @throws IllegalArgumentException naming the parameter or part that is invalid
     */
    public static LockUri parse(URI uri) {
        if (uri.getScheme() == null) {
            throw new IllegalArgumentException("lock URI '" + redact(uri) + "' has no scheme");
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        // JDBC URLs are opaque to java.net.URI ("jdbc:postgresql://..."): lock-jdbc's provider parses them itself.
        if (uri.isOpaque() && !scheme.equals("jdbc")) {
            // local:payments would otherwise parse as "no host" and silently use a default store or table.
            throw new IllegalArgumentException("lock URI '" + redact(uri) + "' lacks '//' after '" + scheme
                    + ":'; write " + scheme + "://" + uri.getRawSchemeSpecificPart());
        }
        String authority = uri.getRawAuthority();
        String userInfo = null;
        List<String> hosts = new ArrayList<>();
        if (authority != null && !authority.isEmpty()) {
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                userInfo = decode(authority.substring(0, at));
                authority = authority.substring(at + 1);
            }
            for (String host : authority.split(",")) {
                if (host.isBlank()) {
                    throw new IllegalArgumentException("lock URI '" + redact(uri) + "' has an empty host in its list");
                }
                hosts.add(host.trim());
            }
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                if (parameters.put(name, value) != null) {
                    throw new IllegalArgumentException("lock URI parameter '" + name + "' is given twice");
                }
            }
        }
        LockSettings settings = LockSettings.defaults();
        if (parameters.containsKey("lease")) {
            settings = settings.withLease(parseDuration("lease", parameters.get("lease")));
        }
        if (parameters.containsKey("timeout")) {
            settings = settings.withOperationTimeout(parseDuration("timeout", parameters.get("timeout")));
        }
        if (parameters.containsKey("renewal")) {
            settings = settings.withRenewal(parseBoolean("renewal", parameters.get("renewal")));
        }
        if (parameters.containsKey("prefix")) {
            settings = settings.withKeyPrefix(parameters.get("prefix"));
        }
        if (parameters.containsKey("name")) {
            String name = parameters.get("name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("lock URI parameter 'name' (the manager's name) must not be blank");
            }
            settings = settings.withManagerName(name);
        }
        String path = uri.getRawPath() == null ? "" : decode(uri.getRawPath());
        return new LockUri(uri, scheme, userInfo, List.copyOf(hosts), path, Collections.unmodifiableMap(parameters),
                settings);
    }

    /**
     * The URI with any password replaced by {@code ***}, for messages and logs. User info without a colon is
     * redacted whole: Redis reads {@code redis://secret@host} as a password, and a message cannot know which backend
     * means what.
     *
     * @param uri the URI to redact
     * @return the URI as text, without its password
     */
    public static String redact(URI uri) {
        String raw = uri.toString();
        String userInfo = uri.getRawUserInfo();
        if (userInfo == null) {
            // URI leaves userInfo null for comma-separated host lists; find it by hand.
            int start = raw.indexOf("://");
            int at = start < 0 ? -1 : raw.indexOf('@', start);
            int slash = start < 0 ? -1 : raw.indexOf('/', start + 3);
            if (at < 0 || (slash >= 0 && slash < at)) {
                return raw;
            }
            userInfo = raw.substring(start + 3, at);
        }
        int colon = userInfo.indexOf(':');
        String redacted = colon < 0 ? "***" : userInfo.substring(0, colon + 1) + "***";
        return raw.replace(userInfo + "@", redacted + "@");
    }

    /**
     * Parses a duration such as {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or ISO-8601 {@code PT30S}.
     *
     * @param name the parameter's name, for the message
     * @param text the text to parse
     * @return the duration
     * @throws IllegalArgumentException naming {@code name} if the text is not a non-negative duration
     */
    public static Duration parseDuration(String name, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            Duration d;
            if (t.startsWith("p")) {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } else if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("m")) {
                d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
            } else if (t.endsWith("h")) {
                d = Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
            } else {
                throw new IllegalArgumentException("lock URI parameter '" + name + "' needs a unit (ms, s, m, h) or "
                        + "ISO-8601 form, got '" + text + "'");
            }
            if (d.isNegative()) {
                throw new IllegalArgumentException("lock URI parameter '" + name + "' must not be negative, got '"
                        + text + "'");
            }
            return d;
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("lock URI parameter '" + name + "' is not a duration: '" + text
                    + "' (examples: 500ms, 30s, 2m, PT30S)", e);
        }
    }

    private static boolean parseBoolean(String name, String text) {
        if ("true".equalsIgnoreCase(text)) {
            return true;
        }
        if ("false".equalsIgnoreCase(text)) {
            return false;
        }
        throw new IllegalArgumentException("lock URI parameter '" + name + "' must be true or false, got '" + text
                + "'");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /**
     * Throws if a query parameter is neither common nor in {@code backendParameters}.
     *
     * @param backendParameters the backend's own parameters
     * @throws IllegalArgumentException listing the unknown parameters and the accepted ones
     */
    public void rejectUnknownParameters(Set<String> backendParameters) {
        Set<String> unknown = new TreeSet<>(parameters.keySet());
        unknown.removeAll(COMMON_PARAMETERS);
        unknown.removeAll(backendParameters);
        if (!unknown.isEmpty()) {
            Set<String> accepted = new TreeSet<>(COMMON_PARAMETERS);
            accepted.addAll(backendParameters);
            throw new IllegalArgumentException("unknown parameter(s) " + unknown + " in lock URI '" + redact(uri)
                    + "'; accepted: " + accepted);
        }
    }

    /** {@return the original URI; it may hold a password, so log {@link #toString()} instead} */
    public URI uri() {
        return uri;
    }

    /** {@return the scheme in lower case} */
    public String scheme() {
        return scheme;
    }

    /** {@return the decoded user info ({@code user:password} or {@code password} or {@code user}), if any} */
    public Optional<String> userInfo() {
        return Optional.ofNullable(userInfo);
    }

    /** {@return the user part of the user info (before ':'), if there is one and it is not empty} */
    public Optional<String> user() {
        if (userInfo == null) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
        return user.isEmpty() ? Optional.empty() : Optional.of(user);
    }

    /** {@return the password part of the user info (after ':'), if any} */
    public Optional<String> password() {
        if (userInfo == null) {
            return Optional.empty();
        }
        int colon = userInfo.indexOf(':');
        return colon < 0 ? Optional.empty() : Optional.of(userInfo.substring(colon + 1));
    }

    /**
     * {@return the {@code host:port} entries of the authority, in order; empty for URIs such as {@code local://name}}
     *
     */
    public List<String> hosts() {
        return hosts;
    }

    /** {@return the decoded path, e.g. {@code /0} or {@code /namespace}; empty if none} */
    public String path() {
        return path;
    }

    /**
     * A query parameter, decoded.
     *
     * @param name the parameter's name
     * @return the decoded value, if the parameter is present
     */
    public Optional<String> parameter(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    /** {@return all query parameters, decoded, in order} */
    public Map<String, String> parameters() {
        return parameters;
    }

    /** {@return the settings from the defaults and the common parameters} */
    public LockSettings settings() {
        return settings;
    }

    /**
     * This URI with other settings, e.g. the URI's settings with listeners added; the parameters stay as parsed.
     *
     * @param settings the settings a provider gets through {@link #settings()}
     * @return the copy
     * @throws NullPointerException if {@code settings} is null
     */
    public LockUri withSettings(LockSettings settings) {
        Objects.requireNonNull(settings, "settings must not be null");
        return new LockUri(uri, scheme, userInfo, hosts, path, parameters, settings);
    }

    /** The URI with the password redacted. */
    @Override
    public String toString() {
        return redact(uri);
    }
}
