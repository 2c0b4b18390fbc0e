package io.distlock.spring.web;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances of one application sharing one backend, over real HTTP: what the Idempotency-Key draft asks of a
 * server, and what distlock adds (a retry that lands on the other instance is replayed too). Subclasses supply the
 * backend; the outage test runs last, as it takes the backend down.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class IdempotencyEndToEndTest {

    final TestApplication.Book book = new TestApplication.Book();
    private ConfigurableApplicationContext first;
    private ConfigurableApplicationContext second;
    int a;
    int b;

    /** Starts the backend; called once before the instances start. */
    abstract void startBackend();

    /** Starts one instance on the backend. */
    abstract ConfigurableApplicationContext startInstance();

    /** Makes the backend unreachable for both instances. */
    abstract void takeBackendDown();

    abstract void stopBackend();

    @BeforeAll
    void start() {
        startBackend();
        first = startInstance();
        second = startInstance();
        a = TestApplication.port(first);
        b = TestApplication.port(second);
    }

    @AfterAll
    void stop() {
        try {
            if (first != null) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        } finally {
            stopBackend();
        }
    }

    static String key() {
        return UUID.randomUUID().toString();
    }

    @Test
    @Order(1)
    void of_two_concurrent_posts_on_two_instances_one_runs_and_the_other_gets_409() throws Exception {
        String key = key();
        int before = book.runs("orders");
        CountDownLatch entered = book.hold();
        CompletableFuture<HttpResponse<byte[]>> running = CompletableFuture.supplyAsync(() ->
                Http.post(a, "/orders", "two apples", "Idempotency-Key", key));
        try {
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the first request reached its handler").isTrue();
            HttpResponse<byte[]> duplicate = Http.post(b, "/orders", "two apples", "Idempotency-Key", key);
            assertThat(duplicate.statusCode()).isEqualTo(409);
            assertThat(duplicate.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("application/problem+json"));
            assertThat(Http.text(duplicate)).contains("\"status\":409").doesNotContain(key);
        } finally {
            book.open();
        }
        HttpResponse<byte[]> original = running.get(60, TimeUnit.SECONDS);
        assertThat(original.statusCode()).isEqualTo(201);
        assertThat(original.headers().firstValue("Idempotent-Replayed")).isEmpty();
        assertThat(book.runs("orders")).isEqualTo(before + 1);

        HttpResponse<byte[]> retry = Http.post(b, "/orders", "two apples", "Idempotency-Key", key);
        assertThat(retry.statusCode()).as("a 201 stays a 201").isEqualTo(201);
        assertThat(retry.body()).as("byte for byte").isEqualTo(original.body());
        assertThat(retry.headers().firstValue("Content-Type")).isEqualTo(original.headers().firstValue("Content-Type"));
        assertThat(retry.headers().firstValue("Location")).isEqualTo(original.headers().firstValue("Location"))
                .isPresent();
        assertThat(retry.headers().firstValue("ETag")).isEqualTo(original.headers().firstValue("ETag")).isPresent();
        assertThat(retry.headers().firstValue("X-Request-Local")).as("not in the allow-list").isEmpty();
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(book.runs("orders")).as("the retry did not run the handler").isEqualTo(before + 1);

        HttpResponse<byte[]> quoted = Http.post(a, "/orders", "two apples", "Idempotency-Key", "\"" + key + "\"");
        assertThat(quoted.statusCode()).as("the structured-field string form is the same key").isEqualTo(201);
        assertThat(quoted.body()).isEqualTo(original.body());
        assertThat(book.runs("orders")).isEqualTo(before + 1);
    }

    @Test
    @Order(2)
    void the_same_key_with_another_payload_is_422() {
        String key = key();
        assertThat(Http.post(a, "/orders", "one pear", "Idempotency-Key", key).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> reused = Http.post(b, "/orders", "two pears", "Idempotency-Key", key);
        assertThat(reused.statusCode()).isEqualTo(422);
        assertThat(Http.text(reused)).contains("\"status\":422");
    }

    @Test
    @Order(3)
    void a_missing_or_malformed_key_is_400_unless_the_key_is_optional() {
        int before = book.runs("orders");
        HttpResponse<byte[]> missing = Http.post(a, "/orders", "x");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(Http.text(missing)).contains("Idempotency-Key");
        assertThat(Http.post(a, "/orders", "x", "Idempotency-Key", "\"unterminated").statusCode()).isEqualTo(400);
        assertThat(Http.post(a, "/orders", "x", "Idempotency-Key", "k".repeat(256)).statusCode()).isEqualTo(400);
        assertThat(book.runs("orders")).isEqualTo(before);
        assertThat(Http.text(Http.post(a, "/carts", "x"))).startsWith("cart ");
    }

    @Test
    @Order(4)
    void keys_are_scoped_by_route_and_principal() {
        String key = key();
        int before = book.runs("orders");
        assertThat(Http.post(a, "/orders", "x", "Idempotency-Key", key, "X-User", "alice").statusCode())
                .isEqualTo(201);
        assertThat(Http.post(b, "/orders", "x", "Idempotency-Key", key, "X-User", "bob").headers()
                .firstValue("Idempotent-Replayed")).as("another user's key is another key").isEmpty();
        assertThat(Http.post(b, "/carts", "x", "Idempotency-Key", key, "X-User", "alice").headers()
                .firstValue("Idempotent-Replayed")).as("another route's key is another key").isEmpty();
        assertThat(book.runs("orders")).isEqualTo(before + 2);
        assertThat(Http.post(b, "/orders", "x", "Idempotency-Key", key, "X-User", "alice").headers()
                .firstValue("Idempotent-Replayed")).hasValue("true");
    }

    @Test
    @Order(5)
    void server_errors_are_not_stored_so_a_retry_runs_again() {
        String key = key();
        assertThat(Http.post(a, "/flaky", "x", "Idempotency-Key", key).statusCode()).isEqualTo(502);
        HttpResponse<byte[]> retry = Http.post(b, "/flaky", "x", "Idempotency-Key", key);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(Http.text(retry)).isEqualTo("ok 2");
        assertThat(Http.post(a, "/flaky", "x", "Idempotency-Key", key).headers().firstValue("Idempotent-Replayed"))
                .hasValue("true");
    }

    @Test
    @Order(5)
    void a_409_of_the_handler_is_not_stored_as_the_request_did_not_get_to_run() {
        String key = key();
        assertThat(Http.post(a, "/busy", "x", "Idempotency-Key", key).statusCode()).isEqualTo(409);
        HttpResponse<byte[]> retry = Http.post(b, "/busy", "x", "Idempotency-Key", key);
        assertThat(retry.statusCode()).isEqualTo(200);
        assertThat(Http.text(retry)).isEqualTo("ok 2");
    }

    @Test
    @Order(6)
    void a_response_over_the_size_limit_is_an_error_not_a_silent_rerun() {
        String key = key();
        HttpResponse<byte[]> big = Http.post(a, "/big", "5000", "Idempotency-Key", key);
        assertThat(big.statusCode()).isEqualTo(500);
        assertThat(Http.text(big)).contains("too large to be stored");
        assertThat(Http.post(a, "/big", "10", "Idempotency-Key", key()).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(100)
    void with_the_backend_down_requests_get_503_with_retry_after() {
        takeBackendDown();
        HttpResponse<byte[]> down = Http.post(a, "/orders", "x", "Idempotency-Key", key());
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(Http.text(down)).contains("\"status\":503");
        assertThat(Http.post(b, "/users/erin", "").statusCode()).as("@DistributedLock too").isEqualTo(503);
    }
}
