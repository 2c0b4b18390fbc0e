package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockSettings;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.etcd.jetcd.options.GetOption;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;

import javax.net.ssl.SSLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The client options that {@link EtcdLockManager.Builder} and {@link EtcdRecordStore.Builder} share: the caller's
 * client or the endpoints, TLS and authentication of a client that what they build creates and owns, the namespace
 * under which keys live, and the settings. Written once so that both take, check and document these options the same
 * way; each builder adds its {@code build()}. Self-typed so that chained calls keep the concrete builder's type.
 * Package-private: its public methods appear as the builders' own. Not thread safe, like the builders.
 *
 * @param <B> the concrete builder
 */
abstract sealed class EtcdClientBuilder<B extends EtcdClientBuilder<B>>
        permits EtcdLockManager.Builder, EtcdRecordStore.Builder {

    /** What a builder makes of a client: the client, whether it is owned, the namespace prefix, a description. */
    @FunctionalInterface
    interface Opener<T> {
        T open(Client client, boolean ownsClient, String namespacePrefix, String description);
    }

    private Client client;
    private final List<String> endpoints = new ArrayList<>();
    private String namespace = EtcdLockManager.DEFAULT_NAMESPACE;
    private String user;
    private String password;
    private boolean tls;
    private Path trustCertificates;
    private Path clientCertificate;
    private Path clientKey;
    private String authority;
    /** The settings of what is built; read by the subclasses' {@code build()}. */
    LockSettings settings = LockSettings.defaults();

    EtcdClientBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        // Safe: the only subclasses are the two builders, each declared as EtcdClientBuilder<itself>.
        return (B) this;
    }

    /**
     * Uses the caller's client; the caller closes it after the manager. Excludes {@link #endpoints},
     * {@link #user}, the TLS options and {@link #authority}, which belong on the client.
     *
     * @param client a jetcd client
     * @return this builder
     * @throws NullPointerException if {@code client} is null
     */
    public B client(Client client) {
        setClient(client);
        return self();
    }

    /**
     * The cluster members, as {@code host:port} ({@code http}, or {@code https} with TLS) or full URLs; the
     * manager builds and owns its client.
     *
     * @param endpoints one or more members, e.g. {@code 127.0.0.1:2379}
     * @return this builder
     * @throws NullPointerException if an endpoint is null
     * @throws IllegalArgumentException if there is none or one is blank
     */
    public B endpoints(String... endpoints) {
        setEndpoints(List.of(Objects.requireNonNull(endpoints, "endpoints must not be null")));
        return self();
    }

    /**
     * The first path segment of the keys: locks live under {@code /<namespace>/locks/}; managers that should
     * exclude each other use the same one. Default {@value EtcdLockManager#DEFAULT_NAMESPACE}.
     *
     * @param namespace e.g. {@code orders}; leading and trailing slashes are ignored
     * @return this builder
     * @throws NullPointerException if {@code namespace} is null
     * @throws IllegalArgumentException if it is blank
     */
    public B namespace(String namespace) {
        setNamespace(namespace);
        return self();
    }

    /**
     * Authenticates the manager's own client as {@code user}. The user's role needs {@code readwrite} permission
     * on the namespace prefix. The password is never logged.
     *
     * @param user the etcd user
     * @param password its password
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code user} is blank
     */
    public B user(String user, String password) {
        setUser(user, password);
        return self();
    }

    /**
     * Turns TLS on for the manager's own client ({@code https} endpoints), trusting the JVM's default trust store
     * unless {@link #trustCertificates} is given.
     *
     * @param tls whether to use TLS
     * @return this builder
     */
    public B tls(boolean tls) {
        setTls(tls);
        return self();
    }

    /**
     * Trusts the certificates of a PEM file (e.g. the cluster's CA) for TLS; implies {@link #tls}.
     *
     * @param pem a readable PEM file of X.509 certificates
     * @return this builder
     * @throws NullPointerException if {@code pem} is null
     * @throws IllegalArgumentException if the file is not readable
     */
    public B trustCertificates(Path pem) {
        setTrustCertificates(pem);
        return self();
    }

    /**
     * A client certificate for clusters that require one ({@code --client-cert-auth}); implies {@link #tls}.
     *
     * @param certificateChain a readable PEM file of the certificate chain
     * @param privateKey a readable PEM file of its PKCS#8 private key
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a file is not readable
     */
    public B clientCertificate(Path certificateChain, Path privateKey) {
        setClientCertificate(certificateChain, privateKey);
        return self();
    }

    /**
     * The authority (host name) TLS checks the server certificate against, when it differs from the endpoints'
     * hosts.
     *
     * @param authority e.g. {@code etcd.internal}
     * @return this builder
     * @throws NullPointerException if {@code authority} is null
     */
    public B authority(String authority) {
        setAuthority(authority);
        return self();
    }

    /**
     * Lease (the TTL of the manager's etcd lease, rounded up to seconds), renewal, operation timeout, key prefix.
     *
     * @param settings the settings
     * @return this builder
     * @throws NullPointerException if {@code settings} is null
     */
    public B settings(LockSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings must not be null");
        return self();
    }

    private void setClient(Client client) {
        this.client = Objects.requireNonNull(client, "client must not be null");
    }

    private void setEndpoints(List<String> endpoints) {
        Objects.requireNonNull(endpoints, "endpoints must not be null");
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("endpoints must not be empty");
        }
        List<String> checked = new ArrayList<>();
        for (String endpoint : endpoints) {
            Objects.requireNonNull(endpoint, "an endpoint must not be null");
            if (endpoint.isBlank()) {
                throw new IllegalArgumentException("an endpoint must not be blank");
            }
            checked.add(endpoint.trim());
        }
        this.endpoints.clear();
        this.endpoints.addAll(checked);
    }

    /** Kept without leading or trailing slashes. */
    private void setNamespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace must not be null");
        String trimmed = namespace.strip().replaceAll("^/+|/+$", "");
        if (trimmed.isBlank()) {
            throw new IllegalArgumentException("namespace must not be blank, got '" + namespace + "'");
        }
        this.namespace = trimmed;
    }

    private void setUser(String user, String password) {
        Objects.requireNonNull(user, "user must not be null");
        Objects.requireNonNull(password, "password must not be null");
        if (user.isBlank()) {
            throw new IllegalArgumentException("user must not be blank");
        }
        this.user = user;
        this.password = password;
    }

    private void setTls(boolean tls) {
        this.tls = tls;
    }

    private void setTrustCertificates(Path pem) {
        this.trustCertificates = readable(pem, "trustCertificates");
        this.tls = true;
    }

    private void setClientCertificate(Path certificateChain, Path privateKey) {
        this.clientCertificate = readable(certificateChain, "certificate chain");
        this.clientKey = readable(privateKey, "private key");
        this.tls = true;
    }

    private void setAuthority(String authority) {
        Objects.requireNonNull(authority, "authority must not be null");
        this.authority = authority;
    }

    /**
     * Checks the options and opens what {@code opener} builds: on the caller's client, or on a client built here,
     * which is closed again if the opener fails.
     *
     * @param built what is built, for messages ({@code manager}, {@code record store})
     * @throws IllegalArgumentException if neither or both of client and endpoints are set, or if options of an owned
     *     client are combined with a caller's client
     */
    <T> T open(String built, Opener<T> opener) {
        if ((client == null) == endpoints.isEmpty()) {
            throw new IllegalArgumentException("set exactly one of client(Client) and endpoints(...)");
        }
        String prefix = "/" + namespace + "/";
        if (client != null) {
            if (user != null || tls || authority != null) {
                throw new IllegalArgumentException("user, TLS and authority configure the " + built + "'s own "
                        + "client; set them on the jetcd Client you pass instead");
            }
            return opener.open(client, false, prefix, "etcd (the caller's client) under " + prefix);
        }
        Client owned = newClient(settings);
        try {
            T opened = opener.open(owned, true, prefix, "etcd at " + endpoints + " under " + prefix);
            // jetcd connects (and authenticates) on the first call, which also loads and starts its gRPC and Vert.x
            // machinery: over a second on a cold JVM, measured. One count-only read sent now, not awaited, lets that
            // happen while the application starts rather than inside the first lock call and its timeout.
            owned.getKVClient().get(ByteSequence.from(prefix, StandardCharsets.UTF_8),
                    GetOption.builder().withCountOnly(true).build()).whenComplete((response, error) -> { });
            return opened;
        } catch (RuntimeException e) {
            owned.close();
            throw e;
        }
    }

    private Client newClient(LockSettings settings) {
        List<URI> uris = new ArrayList<>();
        for (String endpoint : endpoints) {
            uris.add(endpointUri(endpoint));
        }
        ClientBuilder builder = Client.builder()
                .endpoints(uris)
                .connectTimeout(settings.operationTimeout())
                // Every call is bounded by the operation timeout on our side; jetcd's own retries (for UNAVAILABLE
                // answers, e.g. while a new leader is elected) may use that time, never more.
                .retryMaxDuration(settings.operationTimeout())
                .interceptor(new UnaryDeadline(settings.operationTimeout().toNanos()));
        if (user != null) {
            builder.user(ByteSequence.from(user, StandardCharsets.UTF_8))
                    .password(ByteSequence.from(password, StandardCharsets.UTF_8));
        }
        if (authority != null) {
            builder.authority(authority);
        }
        if (tls) {
            try {
                builder.sslContext(ssl -> {
                    if (trustCertificates != null) {
                        ssl.trustManager(trustCertificates.toFile());
                    }
                    if (clientCertificate != null) {
                        ssl.keyManager(clientCertificate.toFile(), clientKey.toFile());
                    }
                });
            } catch (SSLException | RuntimeException e) {
                throw new LockBackendException("could not set up TLS for etcd at " + endpoints + ": " + e.getMessage(),
                        e);
            }
        }
        try {
            return builder.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new IllegalArgumentException("invalid etcd endpoints " + endpoints + ": " + e.getMessage(), e);
        }
    }

    /**
     * Gives every unary call of an owned client a gRPC deadline of one operation timeout. jetcd sets none, and waits
     * for a connection before sending (gRPC's wait-for-ready), so without one a transaction issued while the server
     * was down, and given up by its caller, would still be sent when the server is back, however much later: an
     * acquisition nobody waits for any more. Streams (watches, keep-alives) are left alone: they live long.
     */
    private static final class UnaryDeadline implements ClientInterceptor {
        private final long timeoutNanos;

        UnaryDeadline(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
        }

        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                                                     Channel next) {
            CallOptions bounded = method.getType() == MethodDescriptor.MethodType.UNARY && options.getDeadline() == null
                    ? options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS) : options;
            return next.newCall(method, bounded);
        }
    }

    /** {@code host:port} becomes {@code http://host:port} ({@code https} with TLS); full URLs are kept. */
    private URI endpointUri(String endpoint) {
        String text = endpoint.contains("://") ? endpoint : (tls ? "https://" : "http://") + endpoint;
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("etcd endpoint '" + endpoint + "' is not host:port or a URL", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("etcd endpoint '" + endpoint + "' must use http or https");
        }
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException("etcd endpoint '" + endpoint + "' needs a host and a port, e.g. "
                    + "127.0.0.1:2379");
        }
        if (scheme.equals("https")) {
            tls = true;
        } else if (tls) {
            throw new IllegalArgumentException("etcd endpoint '" + endpoint + "' uses http, but TLS is on");
        }
        return uri;
    }

    private static Path readable(Path path, String what) {
        Objects.requireNonNull(path, what + " must not be null");
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException(what + " file " + path + " is not readable");
        }
        return path;
    }
}
