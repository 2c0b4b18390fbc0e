package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The distlock endpoint is there only as Boot's endpoint rules allow, and lists this instance's handles. */
class DistlockEndpointTest {

    private final String table = "endpoint-" + UUID.randomUUID();
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DistlockAutoConfiguration.class,
                    DistlockEndpointAutoConfiguration.class))
            .withPropertyValues("distlock.uri=local://" + table, "spring.application.name=orders");

    @Test
    void not_exposed_by_default_so_nothing_is_added() {
        runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DistlockEndpoint.class)
                .doesNotHaveBean(HeldLocks.class));
    }

    @Test
    void exposed_when_the_application_includes_it() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=distlock")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(DistlockEndpoint.class));
    }

    @Test
    void not_there_when_its_access_is_none_or_without_actuator() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=distlock",
                        "management.endpoint.distlock.access=NONE")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DistlockEndpoint.class));
        runner.withPropertyValues("management.endpoints.web.exposure.include=distlock")
                .withClassLoader(new FilteredClassLoader(Endpoint.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(DistlockEndpoint.class)
                        .hasSingleBean(LockManager.class));
    }

    @Test
    void lists_the_handles_this_instance_holds_with_age_token_and_lease() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=distlock", "distlock.lease=3s",
                "distlock.operation-timeout=500ms").run(context -> {
            LockManager locks = context.getBean(LockManager.class);
            DistlockEndpoint endpoint = context.getBean(DistlockEndpoint.class);
            assertThat(endpoint.held().locks()).isEmpty();
            try (LockHandle a = locks.tryLock("a").orElseThrow(); LockHandle b = locks.tryLock("b").orElseThrow()) {
                DistlockEndpoint.HeldReport report = endpoint.held();

                assertThat(report.tracked()).isTrue();
                assertThat(report.backend()).isEqualTo("local:" + table);
                assertThat(report.leaseMillis()).isEqualTo(3000);
                assertThat(report.count()).isEqualTo(2);
                assertThat(report.locks()).extracting(DistlockEndpoint.HeldLock::key).containsExactly("a", "b");
                DistlockEndpoint.HeldLock first = report.locks().get(0);
                assertThat(first.fencingToken()).isEqualTo(a.fencingToken());
                assertThat(first.renewal()).isEqualTo("renewing");
                assertThat(first.leaseLeftMillis()).isBetween(1L, 3000L);
                assertThat(first.ageMillis()).isNotNegative();
                assertThat(first.acquiredAt()).endsWith("Z");
            }
            assertThat(endpoint.held().locks()).isEmpty();
        });
    }

    @Test
    void the_holder_of_a_key_is_asked_of_the_store_and_may_be_another_instance() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=distlock").run(context -> {
            DistlockEndpoint endpoint = context.getBean(DistlockEndpoint.class);
            // Another replica on the same store (and the same prefix, the application's name).
            try (LockManager other = LocalLockManager.builder().name(table)
                    .settings(io.distlock.LockSettings.defaults().withKeyPrefix("orders:")).build();
                 LockHandle handle = other.tryLock("user-update/alice").orElseThrow()) {
                DistlockEndpoint.Holder holder = endpoint.holder(new String[] {"user-update", "alice"});

                assertThat(holder.held()).isTrue();
                assertThat(holder.key()).isEqualTo("user-update/alice");
                assertThat(holder.thread()).isEqualTo(Thread.currentThread().getName());
                assertThat(holder.fencingToken()).isEqualTo(handle.fencingToken());
                assertThat(endpoint.held().locks()).as("not this instance's").isEmpty();
            }
            assertThat(endpoint.holder(new String[] {"user-update", "alice"}).held()).isFalse();
        });
    }
}
