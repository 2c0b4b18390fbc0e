package io.distlock;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LockManagersTest {

    @Test
    void localUriCreatesManagersSharingATable() {
        String name = "uri-" + UUID.randomUUID();
        try (LockManager a = LockManagers.create(URI.create("local://" + name + "?lease=5s&timeout=1s"));
             LockManager b = LockManagers.create(URI.create("local://" + name));
             LockManager elsewhere = LockManagers.create(URI.create("local://other-" + name))) {
            try (LockHandle held = a.tryLock("k").orElseThrow()) {
                assertThat(b.tryLock("k")).isEmpty();
                assertThat(elsewhere.tryLock("k")).isPresent().get().satisfies(LockHandle::close);
                assertThat(held.isHeld()).isTrue();
            }
        }
    }

    @Test
    void aLocalUriWithoutSlashesIsRejectedNotReadAsTheDefaultTable() {
        // Both used to open the table "default", so "payments" and "orders" excluded each other silently.
        assertThatThrownBy(() -> LockManagers.create(URI.create("local:payments")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local://payments");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://orders/extra")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("local://NAME");
    }

    @Test
    void aTimeoutLongerThanTheRenewalIntervalIsRejectedNamingBoth() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://t?lease=1s&timeout=3s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout 3s")
                .hasMessageContaining("lease 1s");
    }

    @Test
    void unknownSchemeNamesTheSchemeAndTheKnownOnes() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("consul://localhost:8500")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'consul'").hasMessageContaining("redis").hasMessageContaining("zookeeper");
    }

    @Test
    void aKnownSchemeWithoutItsModuleNamesTheDependencyToAdd() {
        // lock-api's own tests have no backend module on the class path.
        assertThatThrownBy(() -> LockManagers.create(URI.create("etcd://127.0.0.1:2379")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("io.distlock:lock-etcd");
    }

    @Test
    void missingBackendModuleIsNamed() {
        // lock-api's tests have no backend module on the class path.
        assertThatThrownBy(() -> LockManagers.create(URI.create("redis://user:secret@localhost:6379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'redis'").hasMessageContaining("io.distlock:lock-redis")
                .message().doesNotContain("secret");
        assertThatThrownBy(() -> LockManagers.create(URI.create("zookeeper://localhost:2181/app")))
                .hasMessageContaining("io.distlock:lock-zookeeper");
        assertThatThrownBy(() -> LockManagers.create(URI.create("hazelcast://localhost:5701")))
                .hasMessageContaining("io.distlock:lock-hazelcast");
    }

    @Test
    void missingSchemeIsRejected() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("localhost:6379/x")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LockManagers.create(URI.create("/just/a/path")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no scheme");
        assertThatThrownBy(() -> LockManagers.create(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void unknownParameterIsRejectedNotIgnored() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?leese=5s")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[leese]").hasMessageContaining("lease");
    }

    @Test
    void badParameterValuesNameTheParameter() {
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?lease=soon")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'lease'");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?timeout=5")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'timeout'")
                .hasMessageContaining("unit");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?renewal=yes")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'renewal'");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?lease=1ms")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> LockManagers.create(URI.create("local://x?lease=1s&lease=2s")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
    }

    @Test
    void prefixSeparatesApplications() {
        String name = "prefix-" + UUID.randomUUID();
        try (LockManager orders = LockManagers.create(URI.create("local://" + name + "?prefix=orders:"));
             LockManager billing = LockManagers.create(URI.create("local://" + name + "?prefix=billing:"));
             LockManager orders2 = LockManagers.create(URI.create("local://" + name + "?prefix=orders:"))) {
            LockHandle a = orders.tryLock("42").orElseThrow();
            LockHandle b = billing.tryLock("42").orElseThrow();
            assertThat(orders2.tryLock("42")).isEmpty();
            assertThat(a.key()).isEqualTo("42");
            a.close();
            b.close();
        }
    }

    @Test
    void durationsAcceptUnitsAndIso() {
        assertThat(io.distlock.spi.LockUri.parseDuration("x", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(io.distlock.spi.LockUri.parseDuration("x", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(io.distlock.spi.LockUri.parseDuration("x", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(io.distlock.spi.LockUri.parseDuration("x", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(io.distlock.spi.LockUri.parseDuration("x", "PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void uriPartsAreParsedForClusterLists() {
        io.distlock.spi.LockUri uri = io.distlock.spi.LockUri.parse(
                URI.create("redis-cluster://app:p%40ss@h1:7000,h2:7001/3?lease=10s&master=m1"));
        assertThat(uri.scheme()).isEqualTo("redis-cluster");
        assertThat(uri.hosts()).containsExactly("h1:7000", "h2:7001");
        assertThat(uri.user()).contains("app");
        assertThat(uri.password()).contains("p@ss");
        assertThat(uri.path()).isEqualTo("/3");
        assertThat(uri.parameter("master")).contains("m1");
        assertThat(uri.settings().lease()).isEqualTo(Duration.ofSeconds(10));
        assertThat(uri.toString()).doesNotContain("p%40ss").contains("app:***@");
    }
}
