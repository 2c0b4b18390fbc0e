package io.distlock.spring.web;

import io.distlock.idempotency.ResultCodec;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A response as stored for replay: status, content type, the allow-listed headers in order, and the body bytes.
 * Encoded in a small versioned binary layout rather than Java serialization, so that a stored record never becomes
 * code to run.
 */
record StoredResponse(int status, String contentType, List<Header> headers, byte[] body) {

    record Header(String name, String value) {
    }

    private static final int VERSION = 1;

    static final ResultCodec<StoredResponse> CODEC = ResultCodec.of(StoredResponse::encode, StoredResponse::decode);

    byte[] encode() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + 256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeShort(status);
            out.writeBoolean(contentType != null);
            if (contentType != null) {
                out.writeUTF(contentType);
            }
            out.writeShort(headers.size());
            for (Header header : headers) {
                out.writeUTF(header.name());
                out.writeUTF(header.value());
            }
            out.writeInt(body.length);
            out.write(body);
        }
        return bytes.toByteArray();
    }

    static StoredResponse decode(byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IOException("stored response has layout version " + version + ", expected " + VERSION);
            }
            int status = in.readUnsignedShort();
            String contentType = in.readBoolean() ? in.readUTF() : null;
            int count = in.readUnsignedShort();
            List<Header> headers = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                headers.add(new Header(in.readUTF(), in.readUTF()));
            }
            byte[] body = new byte[in.readInt()];
            in.readFully(body);
            return new StoredResponse(status, contentType, List.copyOf(headers), body);
        }
    }
}
