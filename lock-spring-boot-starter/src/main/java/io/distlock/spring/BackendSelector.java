package io.distlock.spring;

import io.distlock.LockManager;
import io.distlock.LockManagers;
import io.distlock.LockSettings;
import io.distlock.idempotency.RecordStores;
import io.distlock.idempotency.spi.RecordStore;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Chooses the backend: {@code distlock.uri} if set, else the first {@link BackendCandidate} that finds the
 * application's client, else start-up fails naming every choice. There is deliberately no in-process fallback: an
 * application that forgot its backend would otherwise run with locks that exclude nothing across replicas.
 */
final class BackendSelector {

    /** Every choice, also of modules not on the class path, so the message tells a newcomer what exists. */
    static final String CHOICES = "set distlock.uri (e.g. redis://localhost:6379, zookeeper://localhost:2181, "
            + "hazelcast://localhost:5701, etcd://localhost:2379, jdbc:postgresql://localhost:5432/app, or "
            + "local://NAME for a single process), or define a bean of one of: "
            + "org.redisson.api.RedissonClient (with io.distlock:lock-redis), "
            + "org.apache.curator.framework.CuratorFramework (with io.distlock:lock-zookeeper), "
            + "com.hazelcast.core.HazelcastInstance (with io.distlock:lock-hazelcast), "
            + "javax.sql.DataSource (with io.distlock:lock-jdbc; chosen last)";

    private final DistlockProperties properties;
    private final List<BackendCandidate> candidates;
    private final LockSettings settings;

    BackendSelector(DistlockProperties properties, List<BackendCandidate> candidates, LockSettings settings) {
        this.properties = properties;
        this.candidates = candidates.stream().sorted(Comparator.comparingInt(BackendCandidate::order)).toList();
        this.settings = settings;
    }

    LockSettings settings() {
        return settings;
    }

    /**
     * @throws IllegalStateException if nothing names a backend, with the list of choices
     */
    BackendCandidate.Backend select() {
        if (properties.getUri() != null) {
            return new UriBackend(withSettings(properties.getUri()));
        }
        for (BackendCandidate candidate : candidates) {
            Optional<BackendCandidate.Backend> backend = candidate.find();
            if (backend.isPresent()) {
                return backend.get();
            }
        }
        String present = candidates.isEmpty() ? "none" : candidates.stream().map(BackendCandidate::choice)
                .collect(Collectors.joining(", "));
        throw new IllegalStateException("distlock has no backend: " + CHOICES + ". Backend modules on the class "
                + "path that found no client bean: " + present + ". There is no in-process default on purpose: it "
                + "would not exclude other replicas.");
    }

    /** The lock settings from properties as the URI's query parameters; a setting given both ways is an error. */
    private URI withSettings(URI uri) {
        List<String> added = new ArrayList<>();
        String query = rawQuery(uri);
        addParameter(added, query, "lease", properties.getLease(), "distlock.lease");
        addParameter(added, query, "renewal", properties.getRenewal(), "distlock.renewal");
        addParameter(added, query, "timeout", properties.getOperationTimeout(), "distlock.operation-timeout");
        if (!hasParameter(query, "prefix") && !settings.keyPrefix().isEmpty()) {
            added.add("prefix=" + URLEncoder.encode(settings.keyPrefix(), StandardCharsets.UTF_8));
        } else if (hasParameter(query, "prefix") && properties.getKeyPrefix() != null) {
            throw conflict("prefix", "distlock.key-prefix");
        }
        if (added.isEmpty()) {
            return uri;
        }
        String text = uri.toString();
        int fragment = text.indexOf('#');
        String head = fragment < 0 ? text : text.substring(0, fragment);
        String tail = fragment < 0 ? "" : text.substring(fragment);
        return URI.create(head + (query == null ? "?" : "&") + String.join("&", added) + tail);
    }

    /**
     * The query of {@code uri}; also of an opaque one ({@code jdbc:postgresql://host/db?user=app}), whose query
     * {@link URI#getRawQuery()} does not see.
     */
    private static String rawQuery(URI uri) {
        if (!uri.isOpaque()) {
            return uri.getRawQuery();
        }
        String part = uri.getRawSchemeSpecificPart();
        int question = part.indexOf('?');
        return question < 0 ? null : part.substring(question + 1);
    }

    private void addParameter(List<String> added, String query, String name, Object value, String property) {
        if (value == null) {
            return;
        }
        if (hasParameter(query, name)) {
            throw conflict(name, property);
        }
        String text = value instanceof Duration duration ? duration.toMillis() + "ms" : value.toString();
        added.add(name + "=" + text);
    }

    private IllegalStateException conflict(String parameter, String property) {
        return new IllegalStateException("distlock.uri sets '" + parameter + "' and so does " + property
                + "; keep one of them");
    }

    private static boolean hasParameter(String query, String name) {
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            if (pair.equals(name) || pair.startsWith(name + "=")) {
                return true;
            }
        }
        return false;
    }

    /** A backend from a lock URI: the manager and the record store each own a client made from it. */
    private static final class UriBackend implements BackendCandidate.Backend {
        private final URI uri;

        UriBackend(URI uri) {
            this.uri = uri;
        }

        @Override
        public String description() {
            if (uri.isOpaque()) {
                // jdbc:postgresql:... : the driver's name, never the rest (it may carry a password).
                String part = uri.getRawSchemeSpecificPart();
                int colon = part.indexOf(':');
                return "distlock.uri " + uri.getScheme() + ":" + (colon < 0 ? "" : part.substring(0, colon + 1));
            }
            return "distlock.uri " + uri.getScheme() + "://";
        }

        @Override
        public LockManager locks(LockSettings settings) {
            // The URI carries the other settings as parameters; listeners cannot be written in a URI.
            return LockManagers.create(uri, parsed -> parsed.withListeners(settings.listeners()));
        }

        /**
         * The record store of the same URI, through {@link RecordStores}: its own client, next to the manager's (the
         * URI names connection settings, not a client that both could share). The settings are already in the URI.
         */
        @Override
        public RecordStore records(LockSettings settings) {
            return RecordStores.create(uri);
        }
    }
}
