package io.distlock.redis;

import io.distlock.LockConfigurationException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code rediss://}: a redis-server with a TLS port and a certificate for 127.0.0.1 from a private CA (made with
 * openssl), trusted through {@link RedisLockManager.Builder#configure}; without the trust store the handshake fails.
 */
@DisplayName("rediss: TLS with a private CA")
class RedisTlsTest {

    private static final String STORE_PASSWORD = "changeit";

    @TempDir
    static Path certs;
    private static RedisServer server;
    private static int tlsPort;

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
        run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", dir + "/ca.crt", "-keystore",
                dir + "/trust.p12", "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        tlsPort = RedisServer.freePort();
        // The plain port stays for the harness's readiness check and redis-cli; the manager uses only the TLS one.
        server = RedisServer.start("--tls-port", Integer.toString(tlsPort), "--tls-cert-file", dir + "/server.crt",
                "--tls-key-file", dir + "/server.key", "--tls-ca-cert-file", dir + "/ca.crt",
                "--tls-auth-clients", "no");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void run(String... command) {
        RedisServer.run(List.of(command));
    }

    private static LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("rediss:// with the CA in a trust store: locks work, and the server saw a TLS client")
    void tlsWithTrustStore() throws Exception {
        java.net.URL trustStore = certs.resolve("trust.p12").toUri().toURL();
        try (LockManager manager = RedisLockManager.builder().address("rediss://127.0.0.1:" + tlsPort)
                .configure((client, servers) -> servers.setSslTruststore(trustStore)
                        .setSslTruststorePassword(STORE_PASSWORD))
                .settings(settings()).build()) {
            String key = "tls:" + UUID.randomUUID();
            try (LockHandle held = manager.tryLock(key).orElseThrow()) {
                assertThat(manager.tryLock(key)).isEmpty();
                assertThat(held.fencingToken()).isPositive();
            }
        }
    }

    @Test
    @DisplayName("rediss:// without trusting the private CA: build fails with LockConfigurationException saying so")
    void untrustedCertificate() {
        assertThatThrownBy(() -> RedisLockManager.builder().address("127.0.0.1:" + tlsPort).tls(true)
                .settings(settings()).build()).isInstanceOf(LockConfigurationException.class)
                .satisfies(e -> assertThat(e.getMessage().lines().findFirst().orElse(""))
                        .contains("TLS handshake failed", "certificate is not trusted")
                        .doesNotContain("io.netty", "javax.net"));
    }
}
