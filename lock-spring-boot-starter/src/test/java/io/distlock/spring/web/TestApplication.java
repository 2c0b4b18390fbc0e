package io.distlock.spring.web;

import io.distlock.LockBackendException;
import io.distlock.spring.DistributedLock;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import java.net.URI;
import java.security.Principal;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A small web application for the end-to-end tests, started on a random port. Its handlers count their runs in a
 * {@link Book} shared by every instance of one test, so a test sees how often the operation really ran.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class TestApplication {

    /** Shared by the instances of one test: runs per route and a gate that holds handlers until opened. */
    public static final class Book {
        final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        volatile CountDownLatch gate = new CountDownLatch(0);
        volatile CountDownLatch entered = new CountDownLatch(1);

        /** From now on handlers wait in {@link #run} until {@link #open()}; returns the latch of their entry. */
        public CountDownLatch hold() {
            entered = new CountDownLatch(1);
            gate = new CountDownLatch(1);
            return entered;
        }

        public void open() {
            gate.countDown();
        }

        int run(String route) {
            entered.countDown();
            try {
                if (!gate.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return runs.computeIfAbsent(route, r -> new AtomicInteger()).incrementAndGet();
        }

        public int runs(String route) {
            AtomicInteger count = runs.get(route);
            return count == null ? 0 : count.get();
        }
    }

    /** Starts one instance with these properties and beans; the caller closes it. */
    public static ConfigurableApplicationContext start(Book book, Consumer<ConfigurableApplicationContext> beans,
                                                       String... properties) {
        return new SpringApplicationBuilder(TestApplication.class)
                .properties("server.port=0", "server.address=127.0.0.1", "spring.main.banner-mode=off",
                        "spring.application.name=e2e", "management.endpoints.access.default=none")
                .properties(properties)
                .initializers(context -> {
                    context.getBeanFactory().registerSingleton("book", book);
                    beans.accept(context);
                })
                .run();
    }

    public static int port(ConfigurableApplicationContext context) {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
    }

    /** The test's stand-in for authentication: the principal is the X-User header. */
    @Bean
    PrincipalFromHeader testPrincipalFilter() {
        return new PrincipalFromHeader();
    }

    static final class PrincipalFromHeader implements Filter, Ordered {
        @Override
        public int getOrder() {
            // Where Spring Security's filter chain runs.
            return -100;
        }

        @Override
        public void doFilter(jakarta.servlet.ServletRequest request, jakarta.servlet.ServletResponse response,
                             jakarta.servlet.FilterChain chain) throws java.io.IOException,
                jakarta.servlet.ServletException {
            HttpServletRequest http = (HttpServletRequest) request;
            String user = http.getHeader("X-User");
            chain.doFilter(user == null ? request : new HttpServletRequestWrapper(http) {
                @Override
                public Principal getUserPrincipal() {
                    return () -> user;
                }
            }, response);
        }
    }

    @RestController
    static class Orders {
        private final Book book;

        Orders(Book book) {
            this.book = book;
        }

        @PostMapping("/orders")
        @Idempotent
        ResponseEntity<String> place(@RequestBody String body) {
            int n = book.run("orders");
            return ResponseEntity.created(URI.create("/orders/" + n)).eTag("\"v" + n + "\"")
                    .header("X-Request-Local", "not replayed").contentType(MediaType.APPLICATION_JSON)
                    .body("{\"order\":" + n + ",\"items\":" + body.length() + "}");
        }

        @PostMapping("/carts")
        @Idempotent(required = false, ttl = "1h")
        String cart(@RequestBody String body) {
            return "cart " + book.run("carts");
        }

        @PostMapping("/flaky")
        @Idempotent
        ResponseEntity<String> flaky(@RequestBody String body) {
            int n = book.run("flaky");
            return n == 1 ? ResponseEntity.status(HttpStatus.BAD_GATEWAY).body("upstream failed")
                    : ResponseEntity.ok("ok " + n);
        }

        @PostMapping("/busy")
        @Idempotent
        ResponseEntity<String> busy(@RequestBody String body) {
            int n = book.run("busy");
            return n == 1 ? ResponseEntity.status(HttpStatus.CONFLICT).body("try again") : ResponseEntity.ok("ok " + n);
        }

        @PostMapping("/big")
        @Idempotent
        String big(@RequestBody String body) {
            book.run("big");
            return "x".repeat(Integer.parseInt(body));
        }

        @PostMapping("/users/{operator}")
        @DistributedLock(key = "'user-update:' + #operator")
        String saveUser(@PathVariable String operator) {
            return "saved " + operator + " " + book.run("users");
        }

        @GetMapping("/outage")
        String outage() {
            throw new LockBackendException("backend unreachable (thrown by the test)");
        }

        @GetMapping("/handled")
        String handled() {
            throw new HandledLockBackendException();
        }

        @ExceptionHandler(HandledLockBackendException.class)
        ResponseEntity<String> handle(HandledLockBackendException e) {
            return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("the application's own handler");
        }
    }

    static final class HandledLockBackendException extends LockBackendException {
        private static final long serialVersionUID = 1L;

        HandledLockBackendException() {
            super("handled by the application");
        }
    }
}
