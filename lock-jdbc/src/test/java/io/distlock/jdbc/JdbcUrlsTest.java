package io.distlock.jdbc;

import io.distlock.LockManagers;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Taking {@code jdbc:} URIs apart and keeping passwords out of messages; no database needed. */
class JdbcUrlsTest {

    @Test
    @DisplayName("distlock parameters are taken out; the others become driver properties; the URL loses its query")
    void splitsParameters() {
        JdbcUrls parsed = JdbcUrls.parse("jdbc:postgresql://db:5432/app?user=app&password=s%26cret&lease=10s"
                + "&renewal=false&timeout=500ms&prefix=orders:&name=orders-7&poolSize=3&createSchema=true&sslmode=require");
        assertThat(parsed.url).isEqualTo("jdbc:postgresql://db:5432/app");
        assertThat(parsed.driverProperties).isEqualTo(Map.of("user", "app", "password", "s&cret",
                "sslmode", "require"));
        assertThat(parsed.settings.lease()).isEqualTo(Duration.ofSeconds(10));
        assertThat(parsed.settings.renewal()).isFalse();
        assertThat(parsed.settings.operationTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(parsed.settings.keyPrefix()).isEqualTo("orders:");
        assertThat(parsed.settings.managerName()).isEqualTo("orders-7");
        assertThat(parsed.poolSize).isEqualTo(3);
        assertThat(parsed.createSchema).isTrue();
    }

    @Test
    @DisplayName("H2 URLs keep their own ;options and take distlock parameters after '?'")
    void h2() {
        JdbcUrls parsed = JdbcUrls.parse("jdbc:h2:mem:app;DB_CLOSE_DELAY=-1?lease=5s");
        assertThat(parsed.url).isEqualTo("jdbc:h2:mem:app;DB_CLOSE_DELAY=-1");
        assertThat(parsed.driverProperties).isEmpty();
        assertThat(parsed.settings.lease()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("invalid distlock parameters are refused, naming them")
    void invalid() {
        assertThatThrownBy(() -> JdbcUrls.parse("jdbc:postgresql://db/app?lease=soon"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> JdbcUrls.parse("jdbc:postgresql://db/app?poolSize=0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("poolSize");
        assertThatThrownBy(() -> JdbcUrls.parse("jdbc:postgresql://db/app?createSchema=yes"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("createSchema");
        assertThatThrownBy(() -> JdbcUrls.parse("jdbc:postgresql://db/app?user=a&user=b&password=secret"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice")
                .hasMessageNotContaining("secret");
    }

    @Test
    @DisplayName("passwords are redacted, as parameters and as user:password@host")
    void redacts() {
        assertThat(JdbcUrls.redact("jdbc:postgresql://db/app?user=a&password=secret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/app?user=a&password=***&ssl=true");
        assertThat(JdbcUrls.redact("jdbc:mysql://a:secret@db:3306/app")).isEqualTo("jdbc:mysql://a:***@db:3306/app");
        assertThat(JdbcUrls.redact("jdbc:h2:mem:x;PASSWORD=secret")).doesNotContain("secret");
    }

    @Test
    @DisplayName("LockManagers finds the jdbc: provider; an unreachable database is a LockBackendException")
    void provider() {
        int closedPort = freeClosedPort();
        assertThatThrownBy(() -> LockManagers.create(URI.create("jdbc:postgresql://127.0.0.1:" + closedPort
                + "/app?user=a&password=secret&timeout=500ms")))
                .isInstanceOf(io.distlock.LockBackendException.class).hasMessageNotContaining("secret");
    }

    private static int freeClosedPort() {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
