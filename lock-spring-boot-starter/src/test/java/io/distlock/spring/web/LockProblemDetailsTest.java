package io.distlock.spring.web;

import io.distlock.spring.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.http.HttpResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Lock errors become problem details over real HTTP; the application's own handlers still win. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LockProblemDetailsTest {

    private final TestApplication.Book book = new TestApplication.Book();
    private ConfigurableApplicationContext app;
    private int port;

    @BeforeAll
    void start() {
        app = TestApplication.start(book, context -> { }, "distlock.uri=local://" + UUID.randomUUID(),
                "distlock.web.retry-after=1500ms");
        port = TestApplication.port(app);
    }

    @AfterAll
    void stop() {
        app.close();
    }

    @Test
    void contention_on_a_distributed_lock_method_is_409_problem_json() throws Exception {
        CountDownLatch entered = book.hold();
        CompletableFuture<HttpResponse<byte[]>> first = CompletableFuture.supplyAsync(() ->
                Http.post(port, "/users/frank", ""));
        try {
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            HttpResponse<byte[]> duplicate = Http.post(port, "/users/frank", "");
            assertThat(duplicate.statusCode()).isEqualTo(409);
            assertThat(duplicate.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(Http.text(duplicate)).contains("\"title\":\"Request in progress\"")
                    .contains("\"instance\":\"/users/frank\"").doesNotContain("user-update");
        } finally {
            book.open();
        }
        assertThat(first.get(60, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void an_outage_is_503_with_retry_after_rounded_up_to_seconds() {
        HttpResponse<byte[]> response = Http.get(port, "/outage");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(Http.text(response)).contains("\"status\":503").doesNotContain("thrown by the test");
    }

    @Test
    void the_applications_own_exception_handler_wins() {
        HttpResponse<byte[]> response = Http.get(port, "/handled");
        assertThat(response.statusCode()).isEqualTo(418);
        assertThat(Http.text(response)).isEqualTo("the application's own handler");
    }

    @Test
    void idempotent_methods_without_a_record_store_fail_the_start_up_saying_what_to_define() {
        try (TestRedis redis = TestRedis.start()) {
            assertThatThrownBy(() -> TestApplication.start(book, context -> { }, "distlock.uri=" + redis.address())
                    .close())
                    .hasStackTraceContaining("@Idempotent controller methods need a distlock record store")
                    .hasMessageContaining("define a bean of type io.distlock.idempotency.spi.RecordStore");
        }
    }
}
