package io.distlock.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A backend that does not answer (a closed loopback port) exits 3 within its timeout, and quotes no password. */
class CliUnreachableTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "redis://locker:hunter22@127.0.0.1:PORT?timeout=1s",
        "zookeeper://app:hunter22@127.0.0.1:PORT?timeout=1s&connectionTimeout=1s",
        "hazelcast://127.0.0.1:PORT?connectTimeout=1s&timeout=1s",
        "jdbc:postgresql://127.0.0.1:PORT/app?user=app&password=hunter22&timeout=1s",
        "etcd://app:hunter22@127.0.0.1:PORT?timeout=1s"})
    void a_closed_port_exits_3_within_the_timeout(String template) {
        String uri = template.replace("PORT", Integer.toString(TestRedis.freePort()));
        long start = System.nanoTime();

        Cli cli = Cli.run("holder", uri, "k");

        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (cli.exitCode() == DistlockCli.UNSUPPORTED) {
            org.junit.jupiter.api.Assumptions.abort("this backend cannot be inspected yet: " + cli.err());
        }
        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(DistlockCli.UNREACHABLE);
        assertThat(cli.err()).contains("did not answer or failed").doesNotContain("hunter22");
        // The timeout (1 s) plus building and closing a client; well short of a hang.
        assertThat(took).as(cli.toString()).isLessThan(Duration.ofSeconds(15));
    }
}
