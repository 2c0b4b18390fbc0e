package io.distlock.idempotency;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Set;

/**
 * Turns an operation's result into bytes for the record store and back. Out of the box: strings, bytes and
 * serializable values such as records; bring your own JSON mapper with {@link #of}:
 * <pre>{@code
 * ResultCodec<Order> json = ResultCodec.of(mapper::writeValueAsBytes, bytes -> mapper.readValue(bytes, Order.class));
 * }</pre>
 * Implementations must be thread safe; an exception from either direction is reported as an
 * {@link IdempotencyException} naming the key.
 *
 * @param <T> the result type
 */
public interface ResultCodec<T> {

    /**
     * @param value the result to encode
     * @return the bytes to store
     * @throws Exception anything the encoding throws; reported to the caller as an {@link IdempotencyException}
     */
    byte[] encode(T value) throws Exception;

    /**
     * @param bytes the stored bytes
     * @return the decoded result
     * @throws Exception anything the decoding throws (e.g. a stored record of another type); reported to the caller
     *     as an {@link IdempotencyException}
     */
    T decode(byte[] bytes) throws Exception;

    /** A function that may throw, for {@link #of}. */
    @FunctionalInterface
    interface Function<A, B> {
        /**
         * Applies the function.
         *
         * @param a the input
         * @return the output
         * @throws Exception anything the function throws
         */
        B apply(A a) throws Exception;
    }

    /**
     * A codec from two functions, e.g. a JSON mapper's write and read.
     *
     * @param <T> the result type
     * @param encoder turns a result into bytes
     * @param decoder turns stored bytes back into a result
     * @return the codec
     */
    static <T> ResultCodec<T> of(Function<T, byte[]> encoder, Function<byte[], T> decoder) {
        Objects.requireNonNull(encoder, "encoder must not be null");
        Objects.requireNonNull(decoder, "decoder must not be null");
        return new ResultCodec<>() {
            @Override
            public byte[] encode(T value) throws Exception {
                return encoder.apply(value);
            }

            @Override
            public T decode(byte[] bytes) throws Exception {
                return decoder.apply(bytes);
            }
        };
    }

    /** {@return a codec of UTF-8 strings}; null is not allowed. */
    static ResultCodec<String> strings() {
        return of(s -> Objects.requireNonNull(s, "result must not be null").getBytes(StandardCharsets.UTF_8),
                b -> new String(b, StandardCharsets.UTF_8));
    }

    /** {@return a codec that stores bytes as they are} */
    static ResultCodec<byte[]> bytes() {
        return of(b -> Objects.requireNonNull(b, "result must not be null").clone(), byte[]::clone);
    }

    /**
     * Java serialization of {@code type}, typically a record. Decoding only accepts {@code type}, its own classes,
     * boxed primitives, strings, {@code java.time}, {@code java.math} values, and {@code java.util} collections, so a
     * tampered record in the store cannot instantiate arbitrary classes; no array may declare more elements than the
     * record has bytes, so a tampered record of a few bytes cannot make the decoder allocate gigabytes. A JVM-wide
     * serial filter ({@code jdk.serialFilter} or {@link ObjectInputFilter.Config#setSerialFilter}) still applies on
     * top: what it rejects stays rejected.
     *
     * @param type the result type
     * @param <T> the result type
     * @return the codec
     * @throws NullPointerException if {@code type} is null
     */
    static <T extends Serializable> ResultCodec<T> serializable(Class<T> type) {
        Objects.requireNonNull(type, "type must not be null");
        Set<String> safePackages = Set.of("java.lang", "java.time", "java.util", "java.math");
        return of(value -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ObjectOutputStream objects = new ObjectOutputStream(out)) {
                objects.writeObject(Objects.requireNonNull(value, "result must not be null"));
            }
            return out.toByteArray();
        }, bytes -> {
            long length = bytes.length;
            ObjectInputFilter own = info -> {
                // Limits first, for allowed classes too. Every array element takes at least one byte of the
                // record, so a longer array than the record can only be a lie meant to make us allocate it.
                if (info.depth() > 20 || info.references() > 100_000 || info.arrayLength() > length
                        || info.streamBytes() > length) {
                    return ObjectInputFilter.Status.REJECTED;
                }
                Class<?> c = info.serialClass();
                if (c == null) {
                    return ObjectInputFilter.Status.UNDECIDED;
                }
                while (c.isArray()) {
                    c = c.getComponentType();
                }
                if (c.isPrimitive() || c == type || c.getPackageName().equals(type.getPackageName())
                        || safePackages.contains(c.getPackageName())) {
                    return ObjectInputFilter.Status.ALLOWED;
                }
                return ObjectInputFilter.Status.REJECTED;
            };
            try (ObjectInputStream objects = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
                // The stream starts with the JVM-wide filter; setting ours alone would replace it.
                ObjectInputFilter jvmWide = objects.getObjectInputFilter();
                objects.setObjectInputFilter(jvmWide == null ? own : ObjectInputFilter.merge(own, jvmWide));
                return type.cast(objects.readObject());
            } catch (IOException e) {
                throw new UncheckedIOException("stored result is not a " + type.getName(), e);
            }
        });
    }
}
