package io.distlock.spring.web;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a controller method honour the {@code Idempotency-Key} request header as the IETF httpapi draft
 * ("The Idempotency-Key HTTP Header Field") specifies, across every instance sharing the backend:
 * <ul>
 *   <li>no key (when {@link #required()}) or a malformed one: {@code 400 Bad Request};</li>
 *   <li>a request with the same key still in progress, here or on another instance: {@code 409 Conflict};</li>
 *   <li>the same key with another request (method, path, query or body differ): {@code 422 Unprocessable
 *       Content};</li>
 *   <li>a retry of a completed request: the stored response replayed byte for byte, with its status (a 201 stays a
 *       201), body, {@code Content-Type} and the allow-listed headers ({@code distlock.idempotency.replayed-headers}:
 *       {@code Location}, {@code ETag}, ...), plus {@code Idempotent-Replayed: true}; the method does not run.</li>
 * </ul>
 * The header is accepted as a structured-field string ({@code "abc"}, as the draft writes it) and as a bare token
 * ({@code abc}, as most clients send it); up to 255 visible ASCII characters. Keys are scoped by route (HTTP method
 * and path pattern) and by the authenticated principal, if any, so that two users or two endpoints never share one.
 *
 * <p>Not stored, so that a retry runs again: 5xx responses (unless {@code distlock.idempotency.store-server-errors}),
 * {@code 409} and {@code 429} (the request did not get to run), responses sent with {@code sendError}, and requests
 * that threw. A response larger than {@code distlock.idempotency.max-response-bytes} fails the request with 500
 * rather than letting its retry silently run again. A backend outage gives {@code 503} with {@code Retry-After}.
 * Asynchronous handler methods ({@code DeferredResult}, {@code Callable}, streaming) are not supported.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface Idempotent {

    /**
     * @return whether a request without the header is refused with 400 (the default); when false, it simply runs
     */
    boolean required() default true;

    /**
     * @return how long the response is replayed, e.g. {@code "1h"}; empty (the default) for
     *     {@code distlock.idempotency.ttl} (24 hours)
     */
    String ttl() default "";
}
