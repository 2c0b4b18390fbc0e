package io.distlock.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;

/**
 * Writes RFC 9457 problem details with the application's own message converters (so its JSON configuration
 * applies), as {@code application/problem+json}. Messages shown to clients never contain lock keys, which may
 * hold user data.
 */
final class ProblemWriter {

    private final ObjectProvider<RequestMappingHandlerAdapter> adapters;
    private final long retryAfterSeconds;

    ProblemWriter(ObjectProvider<RequestMappingHandlerAdapter> adapters, Duration retryAfter) {
        this.adapters = adapters;
        // Retry-After takes whole seconds; round up so a client never comes back early.
        long seconds = retryAfter.toSeconds() + (retryAfter.toNanosPart() > 0 ? 1 : 0);
        this.retryAfterSeconds = Math.max(1, seconds);
    }

    ProblemDetail problem(HttpServletRequest request, HttpStatus status, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        problem.setInstance(URI.create(request.getRequestURI()));
        return problem;
    }

    /** 503 with Retry-After, for an outage of the lock backend or the record store. */
    void unavailable(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Retry-After", Long.toString(retryAfterSeconds));
        write(response, problem(request, HttpStatus.SERVICE_UNAVAILABLE, "Lock service unavailable",
                "The service that coordinates concurrent requests did not answer in time; nothing was done. Retry "
                        + "after " + retryAfterSeconds + " s."));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void write(HttpServletResponse response, ProblemDetail problem) throws IOException {
        response.setStatus(problem.getStatus());
        RequestMappingHandlerAdapter adapter = adapters.getIfAvailable();
        if (adapter != null) {
            for (HttpMessageConverter converter : adapter.getMessageConverters()) {
                if (converter.canWrite(ProblemDetail.class, MediaType.APPLICATION_PROBLEM_JSON)) {
                    converter.write(problem, MediaType.APPLICATION_PROBLEM_JSON,
                            new ServletServerHttpResponse(response));
                    return;
                }
            }
        }
        // No JSON converter at all (an application without Jackson): still the right status and a readable body.
        response.setContentType(MediaType.TEXT_PLAIN_VALUE + ";charset=UTF-8");
        response.getWriter().write(problem.getTitle() + ": " + problem.getDetail());
        response.flushBuffer();
    }
}
