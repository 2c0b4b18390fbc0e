package io.distlock.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method while holding the distlock lock on {@link #key()}, failing fast by default:
 * <pre>{@code
 * @DistributedLock(key = "'user-update:' + #request.operator")
 * public SaveOrUpdateUserDTO saveOrUpdateUser(SaveOrUpdateUserRequest request) { ... }
 * }</pre>
 * <ul>
 *   <li><b>Contention</b> throws {@link io.distlock.LockNotAcquiredException} (409 Conflict in a web application);
 *       an <b>outage</b> throws {@link io.distlock.LockBackendException} (503), never reported as contention. The
 *       method does not run in either case.</li>
 *   <li><b>Transactions:</b> when the method runs inside a transaction (its own {@code @Transactional} or a caller's),
 *       the lock is released when the transaction completes, after its commit or rollback and after every
 *       {@code afterCommit} callback, so a duplicate never reads this call's uncommitted state. Otherwise it is
 *       released when the method returns or throws.</li>
 *   <li><b>The handle</b> (for {@link io.distlock.LockHandle#fencingToken()}): declare a {@code LockHandle}
 *       parameter, which the interceptor fills in (callers pass {@code null}), or call
 *       {@link CurrentLock#handle()} in the method.</li>
 *   <li><b>Checked at start-up:</b> a key that is not valid SpEL, a {@code maxWait} that is not a duration, and the
 *       annotation on a private, final or static method (which a proxy cannot intercept) fail the application's
 *       start naming the method. A key that evaluates to null or blank fails the call, naming method and
 *       expression; it never locks {@code "null"}.</li>
 *   <li><b>Not intercepted:</b> calls from the bean to itself ({@code this.method()}), as for every Spring proxy.
 *       Works on methods declared in interfaces, on {@code @Async} methods (the lock is taken on the executor's
 *       thread) and on virtual threads: handles are not bound to a thread.</li>
 * </ul>
 * The lock covers the method's execution: a method that returns a future releases it when it returns, not when the
 * future completes.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface DistributedLock {

    /**
     * The lock key, a SpEL expression over the method's parameters by name ({@code #request}, when compiled with
     * {@code -parameters}, as Spring Boot's build plugins do) or position ({@code #p0}, {@code #a0}), and beans
     * ({@code @orderService.region()}). Literal text needs quotes: {@code "'report:nightly'"}.
     *
     * @return the key expression
     */
    String key();

    /**
     * How long to wait for the current holder: {@code "0s"} (the default) makes exactly one attempt and never
     * waits; any other duration ({@code "500ms"}, {@code "2s"}, ISO-8601 {@code "PT2S"}) waits at most that long,
     * woken by the release.
     *
     * @return the longest wait
     */
    String maxWait() default "0s";
}
