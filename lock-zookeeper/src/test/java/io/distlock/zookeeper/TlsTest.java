package io.distlock.zookeeper;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import org.apache.curator.test.InstanceSpec;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The README's TLS example, run: a private CA made with {@code keytool}, a ZooKeeper server process that serves only
 * TLS ({@code secureClientPort}, Netty) with a certificate the CA signed, and a manager whose client trusts only that
 * CA. A plaintext client gets no connection at all (LockBackendException at build).
 */
class TlsTest {

    private static final String PASSWORD = "changeit";

    private static Path dir;
    private static Process server;
    private static int port;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createDirectories(Path.of("target", "tls-" + System.nanoTime()));
        // The private CA and a server certificate it signs, for 127.0.0.1 and localhost (the client verifies the host name, and may see 127.0.0.1 as localhost).
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=distlock test CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-exportcert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-rfc", "-file", "ca.pem");
        keytool("-genkeypair", "-alias", "zookeeper", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-validity", "2", "-keystore", "server.p12", "-storetype", "PKCS12", "-storepass", PASSWORD);
        keytool("-certreq", "-alias", "zookeeper", "-keystore", "server.p12", "-storepass", PASSWORD,
                "-file", "server.csr");
        keytool("-gencert", "-alias", "ca", "-keystore", "ca.p12", "-storepass", PASSWORD, "-infile", "server.csr",
                "-outfile", "server.pem", "-rfc", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2");
        keytool("-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", "server.p12", "-storepass", PASSWORD,
                "-noprompt");
        keytool("-importcert", "-alias", "zookeeper", "-file", "server.pem", "-keystore", "server.p12",
                "-storepass", PASSWORD);
        keytool("-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", "truststore.p12", "-storetype",
                "PKCS12", "-storepass", PASSWORD, "-noprompt");

        port = InstanceSpec.getRandomPort();
        Path data = Files.createDirectories(dir.resolve("data"));
        Path config = dir.resolve("zoo.cfg");
        Files.writeString(config, String.join("\n",
                "tickTime=2000",
                "dataDir=" + data.toAbsolutePath(),
                "secureClientPortAddress=127.0.0.1",
                "secureClientPort=" + port,
                "admin.enableServer=false",
                ""), StandardCharsets.UTF_8);
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        server = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dzookeeper.serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
                "-Dzookeeper.ssl.keyStore.location=" + dir.resolve("server.p12").toAbsolutePath(),
                "-Dzookeeper.ssl.keyStore.password=" + PASSWORD,
                "-Dzookeeper.ssl.keyStore.type=PKCS12",
                "-Dzookeeper.ssl.clientAuth=none",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "org.apache.zookeeper.server.ZooKeeperServerMain", config.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile()).start();
        await("the TLS server listens").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    assertThat(server.isAlive()).as("server process (see %s)", dir.resolve("server.log")).isTrue();
                    try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void managerTrustingThePrivateCaLocksOverTls() {
        // As in the README.
        ZKClientConfig tls = new ZKClientConfig();
        tls.setProperty("zookeeper.client.secure", "true");
        tls.setProperty("zookeeper.clientCnxnSocket", "org.apache.zookeeper.ClientCnxnSocketNetty");
        tls.setProperty("zookeeper.ssl.trustStore.location", dir.resolve("truststore.p12").toAbsolutePath().toString());
        tls.setProperty("zookeeper.ssl.trustStore.password", PASSWORD);
        tls.setProperty("zookeeper.ssl.trustStore.type", "PKCS12");
        try (LockManager locks = ZooKeeperLockManager.builder()
                .connectString("localhost:" + port)
                .clientConfig(tls)
                // Generous for a loaded machine: the first TLS handshake of a JVM loads and initialises a lot.
                .connectionTimeout(Duration.ofSeconds(20))
                .settings(LockSettings.defaults())
                .build()) {
            try (LockHandle handle = locks.tryLock("over-tls").orElseThrow()) {
                assertThat(handle.isHeld()).isTrue();
                assertThat(locks.tryLock("over-tls")).isEmpty();
            }
        }
    }

    @Test
    void plaintextClientGetsNoConnection() {
        assertThatThrownBy(() -> ZooKeeperLockManager.builder().connectString("127.0.0.1:" + port)
                .settings(LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2))).build())
                .isInstanceOf(LockBackendException.class).hasMessageStartingWith("could not connect to ZooKeeper");
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool");
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("keytool.log").toFile()).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("keytool %s", args[0]).isTrue();
        assertThat(process.exitValue()).as("keytool %s (see %s)", String.join(" ", args), dir.resolve("keytool.log"))
                .isZero();
    }
}
