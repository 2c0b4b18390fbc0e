package io.distlock;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LockSettingsTest {

    @Test
    void defaultsAreThoseDocumented() {
        LockSettings s = LockSettings.defaults();
        assertThat(s.lease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.renewal()).isTrue();
        assertThat(s.operationTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(s.keyPrefix()).isEmpty();
    }

    @Test
    void invalidValuesNameTheField() {
        LockSettings s = LockSettings.defaults();
        assertThatThrownBy(() -> s.withLease(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("lease");
        assertThatThrownBy(() -> s.withLease(Duration.ofMillis(5))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lease");
        assertThatThrownBy(() -> s.withOperationTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("operationTimeout");
        assertThatThrownBy(() -> s.withKeyPrefix("p".repeat(257))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("keyPrefix");
        assertThatThrownBy(() -> s.withTicker(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("ticker");
    }

    @Test
    void managerNameDefaultsToHostAndPidAndComesFromTheUri() {
        assertThat(LockSettings.defaults().managerName()).isEqualTo(LockSettings.defaultManagerName())
                .endsWith(":" + ProcessHandle.current().pid()).doesNotStartWith(":");
        assertThat(LockSettings.defaults().withManagerName("billing-7").managerName()).isEqualTo("billing-7");
        assertThat(io.distlock.spi.LockUri.parse(java.net.URI.create("local://t?name=web%203&prefix=p:"))
                .settings().managerName()).isEqualTo("web 3");
        assertThatThrownBy(() -> LockSettings.defaults().withManagerName(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("managerName");
        assertThatThrownBy(() -> io.distlock.spi.LockUri.parse(java.net.URI.create("local://t?name=")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'name'");
    }
}
