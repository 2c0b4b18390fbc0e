package io.distlock.spring.web;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.idempotency.IdempotencyKeys;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.LockLostDuringOperationException;
import io.distlock.idempotency.OperationFailedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultNotStoredException;
import io.distlock.idempotency.ResultTooLargeException;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.spring.DistlockProperties;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerExecutionChain;
import org.springframework.web.servlet.HandlerMapping;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ContentCachingResponseWrapper;
import org.springframework.web.util.ServletRequestPathUtils;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs requests to {@link Idempotent} controller methods through {@link IdempotencyKeys}: the handler runs inside
 * the key's operation, its response is captured, stored and written; a retry gets the stored response. Requests to
 * other handlers pass through untouched (one handler lookup). Thread safe.
 */
final class IdempotencyFilter extends OncePerRequestFilter implements Ordered, SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyFilter.class);
    static final String REPLAYED_HEADER = "Idempotent-Replayed";

    /** What one annotated handler method asks for, parsed once. */
    private record Settings(boolean required, Duration ttl) {
    }

    /** Marks a response the operation produced but that must not be stored: the claim is given up. */
    private static final class NotStored extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotStored() {
            super(null, null, false, false);
        }
    }

    private final RequestMappingHandlerMapping handlers;
    private final ObjectProvider<LockManager> locks;
    private final ObjectProvider<RecordStore> records;
    private final DistlockProperties.Idempotency properties;
    private final String keyPrefix;
    private final ProblemWriter problems;
    // By Method: the dispatcher hands out a new HandlerMethod per request (with the bean resolved).
    private final Map<Method, Optional<Settings>> settings = new ConcurrentHashMap<>();
    private volatile IdempotencyKeys idempotency;

    IdempotencyFilter(RequestMappingHandlerMapping handlers, ObjectProvider<LockManager> locks,
                      ObjectProvider<RecordStore> records, DistlockProperties.Idempotency properties,
                      String keyPrefix, ProblemWriter problems) {
        this.handlers = handlers;
        this.locks = locks;
        this.records = records;
        this.properties = properties;
        this.keyPrefix = keyPrefix;
        this.problems = problems;
        if (properties.getTtl() == null || properties.getTtl().isNegative() || properties.getTtl().isZero()) {
            throw new IllegalStateException("distlock.idempotency.ttl must be positive, got " + properties.getTtl());
        }
        if (properties.getMaxResponseBytes() <= 0) {
            throw new IllegalStateException("distlock.idempotency.max-response-bytes must be positive, got "
                    + properties.getMaxResponseBytes());
        }
    }

    @Override
    public int getOrder() {
        // After security filters (Spring Security's chain is at -100), so the principal is known.
        return Ordered.LOWEST_PRECEDENCE - 100;
    }

    /** Parses every {@code @Idempotent} at start-up and makes the record store now if any exists. */
    @Override
    public void afterSingletonsInstantiated() {
        boolean any = false;
        for (HandlerMethod method : handlers.getHandlerMethods().values()) {
            any |= settings(method) != null;
        }
        if (any) {
            idempotency();
        }
    }

    private IdempotencyKeys idempotency() {
        IdempotencyKeys current = idempotency;
        if (current == null) {
            synchronized (this) {
                current = idempotency;
                if (current == null) {
                    RecordStore store;
                    try {
                        store = records.getObject();
                    } catch (RuntimeException e) {
                        throw new IllegalStateException("@Idempotent controller methods need a distlock record store: "
                                + e.getMessage(), e);
                    }
                    current = IdempotencyKeys.builder().locks(locks.getObject()).store(store)
                            .maxResultBytes(properties.getMaxResponseBytes()).build();
                    idempotency = current;
                }
            }
        }
        return current;
    }

    private Settings settings(HandlerMethod method) {
        return settings.computeIfAbsent(method.getMethod(), m -> parse(method, properties.getTtl())).orElse(null);
    }

    private static Optional<Settings> parse(HandlerMethod method, Duration defaultTtl) {
        Idempotent annotation = AnnotatedElementUtils.findMergedAnnotation(method.getMethod(), Idempotent.class);
        if (annotation == null) {
            return Optional.empty();
        }
        Duration ttl = defaultTtl;
        if (!annotation.ttl().isBlank()) {
            try {
                ttl = DurationStyle.detectAndParse(annotation.ttl());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("@Idempotent on " + method + ": ttl '" + annotation.ttl()
                        + "' is not a duration (use e.g. 1h or PT1H)", e);
            }
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalStateException("@Idempotent on " + method + ": ttl must be positive, got '"
                        + annotation.ttl() + "'");
            }
        }
        return Optional.of(new Settings(annotation.required(), ttl));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        HandlerMethod handler = handler(request);
        Settings config = handler == null ? null : settings(handler);
        if (config == null) {
            chain.doFilter(request, response);
            return;
        }
        List<String> values = Collections.list(request.getHeaders(IdempotencyKeyHeader.NAME));
        if (values.isEmpty()) {
            if (config.required()) {
                problems.write(response, problems.problem(request, HttpStatus.BAD_REQUEST, "Idempotency-Key missing",
                        "This request must carry an Idempotency-Key header, unique per intended operation, so "
                                + "that a retry is recognised."));
            } else {
                chain.doFilter(request, response);
            }
            return;
        }
        String key;
        try {
            if (values.size() > 1) {
                throw new IllegalArgumentException("send exactly one " + IdempotencyKeyHeader.NAME + " header");
            }
            key = IdempotencyKeyHeader.parse(values.get(0));
        } catch (IllegalArgumentException e) {
            problems.write(response, problems.problem(request, HttpStatus.BAD_REQUEST, "Idempotency-Key invalid",
                    e.getMessage()));
            return;
        }
        run(request, response, chain, config, key);
    }

    private void run(HttpServletRequest request, HttpServletResponse response, FilterChain chain, Settings config,
                     String key) throws ServletException, IOException {
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        String route = request.getMethod() + " " + (pattern == null ? request.getRequestURI() : pattern);
        Principal principal = request.getUserPrincipal();
        String who = principal == null ? "" : principal.getName();
        // Length-prefixed parts: no choice of route, principal or key can make two scopes collide.
        String scoped = keyPrefix + "http:" + route.length() + ":" + route + who.length() + ":" + who + key;

        HttpServletRequest body;
        String fingerprint;
        MediaType contentType = contentType(request);
        if (contentType != null && MediaType.APPLICATION_FORM_URLENCODED.includes(contentType)) {
            // The container parses the form from the body; reading the body here would lose the parameters.
            Map<String, List<String>> form = new TreeMap<>();
            request.getParameterMap().forEach((name, vals) -> form.put(name, List.of(vals)));
            body = request;
            fingerprint = fingerprint(request, form.toString().getBytes(StandardCharsets.UTF_8));
        } else {
            byte[] bytes = request.getInputStream().readAllBytes();
            body = new CachedBodyRequest(request, bytes);
            fingerprint = fingerprint(request, bytes);
        }

        CapturingResponse capture = new CapturingResponse(response);
        StoredResponse result;
        try {
            result = idempotency().execute(scoped, fingerprint, config.ttl(), StoredResponse.CODEC, lock -> {
                capture.ran = true;
                chain.doFilter(body, capture);
                return storable(body, capture);
            });
        } catch (NotStored e) {
            capture.copyBodyToResponse();
            return;
        } catch (RequestInProgressException e) {
            problems.write(response, problems.problem(request, HttpStatus.CONFLICT, "Request in progress",
                    "A request with this Idempotency-Key is still being processed; retry later to get its response."));
            return;
        } catch (KeyReusedException e) {
            problems.write(response, problems.problem(request, HttpStatus.UNPROCESSABLE_CONTENT,
                    "Idempotency-Key reused", "This Idempotency-Key was already used for a different request."));
            return;
        } catch (ResultTooLargeException e) {
            log.error("{} {}: {}; raise distlock.idempotency.max-response-bytes or return a smaller response",
                    request.getMethod(), request.getRequestURI(), e.getMessage());
            response.reset();
            problems.write(response, problems.problem(request, HttpStatus.INTERNAL_SERVER_ERROR,
                    "Response not stored", "The response was too large to be stored for replay; the request was "
                            + "processed, but a retry with this Idempotency-Key would be processed again."));
            return;
        } catch (ResultNotStoredException | LockLostDuringOperationException e) {
            // The handler ran and produced this response; the client still gets it. Only a retry is affected.
            log.warn("{} {}: {}", request.getMethod(), request.getRequestURI(), e.getMessage());
            capture.copyBodyToResponse();
            return;
        } catch (LockBackendException e) {
            if (capture.ran) {
                throw e;
            }
            log.warn("{} {}: {}", request.getMethod(), request.getRequestURI(), e.toString());
            problems.unavailable(request, response);
            return;
        } catch (OperationFailedException e) {
            if (e.getCause() instanceof ServletException servlet) {
                throw servlet;
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
        if (capture.ran) {
            capture.copyBodyToResponse();
        } else {
            replay(response, result);
        }
    }

    private StoredResponse storable(HttpServletRequest request, CapturingResponse capture) {
        int status = capture.getStatus();
        boolean serverError = status >= 500 && !properties.isStoreServerErrors();
        if (request.isAsyncStarted()) {
            throw new IllegalStateException("@Idempotent does not support asynchronous handler methods: "
                    + request.getMethod() + " " + request.getRequestURI());
        }
        if (capture.errorSent || serverError || status == 409 || status == 429) {
            throw new NotStored();
        }
        List<StoredResponse.Header> headers = new ArrayList<>();
        for (String name : properties.getReplayedHeaders()) {
            for (String value : capture.getHeaders(name)) {
                headers.add(new StoredResponse.Header(name, value));
            }
        }
        return new StoredResponse(status, capture.getContentType(), List.copyOf(headers),
                capture.getContentAsByteArray());
    }

    private static void replay(HttpServletResponse response, StoredResponse stored) throws IOException {
        response.setStatus(stored.status());
        if (stored.contentType() != null) {
            response.setContentType(stored.contentType());
        }
        for (StoredResponse.Header header : stored.headers()) {
            response.addHeader(header.name(), header.value());
        }
        response.setHeader(REPLAYED_HEADER, "true");
        response.setContentLength(stored.body().length);
        response.getOutputStream().write(stored.body());
        response.flushBuffer();
    }

    private HandlerMethod handler(HttpServletRequest request) {
        boolean parsedHere = false;
        try {
            if (!ServletRequestPathUtils.hasParsedRequestPath(request)) {
                ServletRequestPathUtils.parseAndCache(request);
                parsedHere = true;
            }
            HandlerExecutionChain chain = handlers.getHandler(request);
            return chain != null && chain.getHandler() instanceof HandlerMethod method ? method : null;
        } catch (Exception e) {
            // No match, 405, 415, a CORS pre-flight...: the dispatcher answers those itself.
            return null;
        } finally {
            if (parsedHere) {
                ServletRequestPathUtils.clearParsedRequestPath(request);
            }
        }
    }

    private static MediaType contentType(HttpServletRequest request) {
        try {
            return request.getContentType() == null ? null : MediaType.parseMediaType(request.getContentType());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String fingerprint(HttpServletRequest request, byte[] body) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            String query = request.getQueryString();
            String target = request.getMethod() + " " + request.getRequestURI() + (query == null ? "" : "?" + query);
            return target + " " + HexFormat.of().formatHex(sha.digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Buffers the body (headers go to the real response) and notices {@code sendError}. */
    private static final class CapturingResponse extends ContentCachingResponseWrapper {
        volatile boolean ran;
        volatile boolean errorSent;

        CapturingResponse(HttpServletResponse response) {
            super(response);
        }

        @Override
        public void sendError(int sc) throws IOException {
            errorSent = true;
            super.sendError(sc);
        }

        @Override
        public void sendError(int sc, String msg) throws IOException {
            errorSent = true;
            super.sendError(sc, msg);
        }
    }

    /** The request with its body read once for the fingerprint and served again to the handler. */
    private static final class CachedBodyRequest extends HttpServletRequestWrapper {
        private final byte[] body;

        CachedBodyRequest(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("@Idempotent requests are read synchronously");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
