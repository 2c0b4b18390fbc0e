package io.distlock.etcd;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code etcds://} against a server that serves TLS only, with a certificate for 127.0.0.1 from a private CA (made
 * with openssl): trusted through {@code ca=}, locks work; without it the handshake fails with a message that says so,
 * and a plain {@code etcd://} client gets an error, never "held".
 */
@DisplayName("etcd: TLS (etcds://)")
class EtcdTlsTest {

    @TempDir
    static Path certs;
    private static EtcdServer server;

    @BeforeAll
    static void start() throws Exception {
        String dir = certs.toString();
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=distlock test CA",
                "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt");
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
                dir + "/server.key", "-out", dir + "/server.csr");
        Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1\n");
        run("openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", dir + "/san.ext", "-out", dir + "/server.crt");
        server = EtcdServer.start("--cert-file", dir + "/server.crt", "--key-file", dir + "/server.key");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    @DisplayName("etcds:// with the CA works; without it, or over plain etcd://, calls fail with LockBackendException")
    void tlsIsChecked() {
        String key = "tls-" + UUID.randomUUID();
        try (LockManager tls = LockManagers.create(URI.create("etcds://" + server.endpoint() + "/tls?ca="
                + certs.resolve("ca.crt") + "&timeout=5s"))) {
            LockHandle held = tls.tryLock(key).orElseThrow();
            assertThat(tls.tryLock(key)).isEmpty();
            held.close();
        }
        try (LockManager untrusted = LockManagers.create(URI.create("etcds://" + server.endpoint()
                + "/tls?timeout=2s"))) {
            assertThatThrownBy(() -> untrusted.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
        }
        try (LockManager plain = LockManagers.create(URI.create("etcd://" + server.endpoint() + "/tls?timeout=2s"))) {
            assertThatThrownBy(() -> plain.tryLock(key)).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining(key);
        }
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }
}
