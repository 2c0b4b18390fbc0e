package io.distlock.idempotency;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.URI;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResultCodecTest {

    record Receipt(String order, long cents, Instant at, List<String> items) implements Serializable {
    }

    @Test
    void recordsStringsAndBytesRoundTrip() throws Exception {
        ResultCodec<Receipt> receipts = ResultCodec.serializable(Receipt.class);
        Receipt receipt = new Receipt("o-1", 990, Instant.parse("2026-11-26T08:00:00Z"), List.of("a", "b"));
        assertThat(receipts.decode(receipts.encode(receipt))).isEqualTo(receipt);
        assertThat(ResultCodec.strings().decode(ResultCodec.strings().encode("ünï"))).isEqualTo("ünï");
        assertThat(ResultCodec.bytes().decode(ResultCodec.bytes().encode(new byte[] {1, 2}))).containsExactly(1, 2);
    }

    @Test
    void serializableCodecRefusesClassesOutsideTheAllowedSet() throws Exception {
        // A tampered store entry holding another class must not be instantiated.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ObjectOutputStream objects = new ObjectOutputStream(out)) {
            objects.writeObject(URI.create("http://example.invalid"));
        }
        assertThatThrownBy(() -> ResultCodec.serializable(Receipt.class).decode(out.toByteArray()))
                .hasMessageContaining("Receipt");
    }

    @Test
    void nullResultsAreRefusedWithAMessage() {
        assertThatThrownBy(() -> ResultCodec.strings().encode(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("result");
    }
}
