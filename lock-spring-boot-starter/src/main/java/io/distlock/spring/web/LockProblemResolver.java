package io.distlock.spring.web;

import io.distlock.LockBackendException;
import io.distlock.LockNotAcquiredException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.web.servlet.HandlerExceptionResolver;
import org.springframework.web.servlet.ModelAndView;

import java.io.IOException;

/**
 * Turns {@link LockNotAcquiredException} into 409 and {@link LockBackendException} into 503 with Retry-After, as
 * problem details. Ordered after Spring MVC's own resolvers, so every {@code @ExceptionHandler} of the application
 * (in a controller or a {@code @ControllerAdvice}) still wins.
 */
final class LockProblemResolver implements HandlerExceptionResolver, Ordered {

    private static final Logger log = LoggerFactory.getLogger(LockProblemResolver.class);

    private final ProblemWriter problems;

    LockProblemResolver(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public int getOrder() {
        // Spring MVC's composite of @ExceptionHandler, @ResponseStatus and default resolvers has order 0.
        return 1;
    }

    @Override
    public ModelAndView resolveException(HttpServletRequest request, HttpServletResponse response, Object handler,
                                         Exception ex) {
        if (response.isCommitted()) {
            return null;
        }
        try {
            if (ex instanceof LockNotAcquiredException) {
                log.debug("{} {}: {}", request.getMethod(), request.getRequestURI(), ex.getMessage());
                problems.write(response, problems.problem(request, HttpStatus.CONFLICT, "Request in progress",
                        "A concurrent request for the same resource is in progress; nothing was done."));
                return new ModelAndView();
            }
            if (ex instanceof LockBackendException) {
                log.warn("{} {}: {}", request.getMethod(), request.getRequestURI(), ex.toString());
                problems.unavailable(request, response);
                return new ModelAndView();
            }
        } catch (IOException e) {
            ex.addSuppressed(e);
        }
        return null;
    }
}
