package io.distlock.sample;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample's endpoints answer as its README says, on an in-process backend instead of Hazelcast on 5701. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"sample.embedded-hazelcast=false", "distlock.uri=local://sample-test", "sample.work-time=0s"})
class SampleApplicationTest {

    @Value("${local.server.port}")
    int port;

    private HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void orders_are_replayed_and_users_saved() throws Exception {
        String order = "{\"item\":\"apple\",\"quantity\":2}";
        HttpResponse<String> created = post("/orders", order, "Idempotency-Key", "sample-1");
        assertThat(created.statusCode()).isEqualTo(201);
        HttpResponse<String> replayed = post("/orders", order, "Idempotency-Key", "sample-1");
        assertThat(replayed.statusCode()).isEqualTo(201);
        assertThat(replayed.body()).isEqualTo(created.body());
        assertThat(replayed.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(post("/orders", "{\"item\":\"pear\",\"quantity\":1}", "Idempotency-Key", "sample-1").statusCode())
                .isEqualTo(422);
        assertThat(post("/orders", order).statusCode()).isEqualTo(400);
        assertThat(post("/users", "{\"operator\":\"alice\",\"name\":\"Alice\"}").body()).contains("\"fencingToken\"");
    }
}
