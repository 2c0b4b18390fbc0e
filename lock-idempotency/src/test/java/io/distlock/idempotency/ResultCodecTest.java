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

    /** 27 bytes declaring a long[] of 16 Mi elements: 128 MiB if a decoder believes the declared length. */
    static byte[] tamperedHugeArray() {
        return java.nio.ByteBuffer.allocate(27)
                .putShort((short) 0xACED).putShort((short) 5) // stream magic and version
                .put((byte) 0x75).put((byte) 0x72) // TC_ARRAY, TC_CLASSDESC
                .putShort((short) 2).put((byte) '[').put((byte) 'J') // class name "[J" (long[])
                .putLong(0x782004B5123CAE2L) // long[]'s serialVersionUID
                .put((byte) 0x02).putShort((short) 0) // SC_SERIALIZABLE, no fields
                .put((byte) 0x78).put((byte) 0x70) // TC_ENDBLOCKDATA, no superclass
                .putInt(16 * 1024 * 1024) // the declared length, never followed by the elements
                .array();
    }

    @Test
    void aTamperedRecordCannotMakeTheDecoderAllocateMoreThanItsOwnLength() {
        byte[] tampered = tamperedHugeArray();
        assertThat(tampered).hasSize(27);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThatThrownBy(() -> ResultCodec.serializable(Receipt.class).decode(tampered))
                .isInstanceOf(Exception.class);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated decoding a 27-byte record").isLessThan(4L * 1024 * 1024);
    }

    @Test
    void aJvmWideSerialFilterStillApplies() throws Exception {
        // The codec's own filter allows java.util; a JVM-wide filter that forbids BitSet must still be obeyed.
        if (java.io.ObjectInputFilter.Config.getSerialFilter() == null) {
            java.io.ObjectInputFilter.Config.setSerialFilter(
                    java.io.ObjectInputFilter.Config.createFilter("!java.util.BitSet"));
        }
        ResultCodec<java.util.BitSet> bits = ResultCodec.serializable(java.util.BitSet.class);
        byte[] encoded = bits.encode(java.util.BitSet.valueOf(new long[] {5}));
        assertThatThrownBy(() -> bits.decode(encoded)).isInstanceOf(Exception.class);
        // Everything else still decodes.
        ResultCodec<Receipt> receipts = ResultCodec.serializable(Receipt.class);
        Receipt receipt = new Receipt("o-2", 1, Instant.EPOCH, List.of("x"));
        assertThat(receipts.decode(receipts.encode(receipt))).isEqualTo(receipt);
    }

    @Test
    void nullResultsAreRefusedWithAMessage() {
        assertThatThrownBy(() -> ResultCodec.strings().encode(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("result");
    }
}
