package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.spring.web.TestApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The endpoint over real HTTP: read-only unless the application opens it up, and a reason for every release. */
class DistlockEndpointHttpTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .version(HttpClient.Version.HTTP_1_1).build();

    private static ConfigurableApplicationContext start(String... properties) {
        String[] all = new String[properties.length + 3];
        all[0] = "distlock.uri=local://http-" + UUID.randomUUID() + "?lease=1500ms&timeout=300ms";
        all[1] = "management.endpoints.web.exposure.include=distlock";
        all[2] = "management.endpoint.distlock.access=read-only";
        System.arraycopy(properties, 0, all, 3, properties.length);
        return TestApplication.start(new TestApplication.Book(), context -> { }, all);
    }

    private static HttpResponse<String> send(ConfigurableApplicationContext app, String method, String path) {
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).method(method, HttpRequest.BodyPublishers.noBody()).build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void lists_held_locks_and_shows_a_holder_but_refuses_to_release_by_default() {
        try (ConfigurableApplicationContext app = start()) {
            LockManager locks = app.getBean(LockManager.class);
            try (LockHandle handle = locks.tryLock("user-update:alice").orElseThrow()) {
                HttpResponse<String> list = send(app, "GET", "/actuator/distlock");
                assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
                assertThat(list.body()).contains("\"key\":\"user-update:alice\"",
                        "\"fencingToken\":" + handle.fencingToken(), "\"renewal\":\"renewing\"", "\"tracked\":true");

                HttpResponse<String> holder = send(app, "GET", "/actuator/distlock/user-update:alice");
                assertThat(holder.statusCode()).as(holder.body()).isEqualTo(200);
                assertThat(holder.body()).contains("\"held\":true",
                        "\"thread\":\"" + Thread.currentThread().getName() + "\"");

                HttpResponse<String> release = send(app, "DELETE", "/actuator/distlock/user-update:alice?reason=x");
                assertThat(release.statusCode()).as(release.body()).isGreaterThanOrEqualTo(400);
                assertThat(handle.isHeld()).isTrue();
            }
            assertThat(send(app, "GET", "/actuator/distlock/user-update:alice").body()).contains("\"held\":false");
        }
    }

    @Test
    void with_unrestricted_access_a_release_needs_a_reason_and_the_holder_reports_the_loss() {
        try (ConfigurableApplicationContext app = start("management.endpoint.distlock.access=unrestricted")) {
            LockHandle handle = app.getBean(LockManager.class).tryLock("job").orElseThrow();
            try {
                HttpResponse<String> noReason = send(app, "DELETE", "/actuator/distlock/job");
                assertThat(noReason.statusCode()).as(noReason.body()).isEqualTo(400);
                HttpResponse<String> blank = send(app, "DELETE", "/actuator/distlock/job?reason=%20");
                assertThat(blank.statusCode()).as(blank.body()).isEqualTo(400);
                assertThat(handle.isHeld()).isTrue();

                HttpResponse<String> release = send(app, "DELETE", "/actuator/distlock/job?reason=INC-42");
                assertThat(release.statusCode()).as(release.body()).isEqualTo(200);
                assertThat(release.body()).contains("\"released\":true", "\"key\":\"job\"");
                await().atMost(Duration.ofSeconds(10)).until(() -> handle.lost().toCompletableFuture().isDone());
                assertThat(send(app, "GET", "/actuator/distlock").body()).contains("\"count\":0");
            } finally {
                handle.close();
            }
        }
    }
}
