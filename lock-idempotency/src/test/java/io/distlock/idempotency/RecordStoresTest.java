package io.distlock.idempotency;

import io.distlock.idempotency.spi.RecordStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("RecordStores.create(URI)")
class RecordStoresTest {

    @Test
    @DisplayName("local://NAME is the named in-process store: two stores of one name share records")
    void localStoresOfOneNameShare() {
        String name = "records-" + UUID.randomUUID();
        byte[] value = "v".getBytes(StandardCharsets.UTF_8);
        try (RecordStore a = RecordStores.create(URI.create("local://" + name + "?timeout=1s&prefix=p:"));
             RecordStore b = RecordStores.create(URI.create("local://" + name))) {
            assertThat(a.name()).isEqualTo("local:" + name);
            assertThat(a.putIfAbsent("k", value, Duration.ofMinutes(1))).isTrue();
            assertThat(b.get("k")).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
        }
    }

    @Test
    @DisplayName("errors name the problem: no scheme, unknown scheme, missing module, unknown parameter, bad local URI")
    void errorsNameTheProblem() {
        assertThatThrownBy(() -> RecordStores.create(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RecordStores.create(URI.create("orders")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no scheme");
        assertThatThrownBy(() -> RecordStores.create(URI.create("mongo://127.0.0.1:1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown record store URI scheme")
                .hasMessageContaining("redis");
        // lock-idempotency's own tests have no backend module on the class path.
        assertThatThrownBy(() -> RecordStores.create(URI.create("redis://:secret@127.0.0.1:1")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("io.distlock:lock-redis")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> RecordStores.create(URI.create("local://x?lease=1s&colour=red")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour");
        assertThatThrownBy(() -> RecordStores.create(URI.create("local:orders")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("//");
        assertThatThrownBy(() -> RecordStores.create(URI.create("local://a/b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local://NAME");
    }
}
