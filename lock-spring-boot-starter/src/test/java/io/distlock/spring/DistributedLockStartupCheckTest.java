package io.distlock.spring;

import io.distlock.LockManager;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Annotations that cannot work fail the start-up, naming the method. */
class DistributedLockStartupCheckTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DistlockAutoConfiguration.class,
                    DistributedLockAutoConfiguration.class))
            .withBean(LockManager.class, () -> LocalLockManager.builder().name("t" + UUID.randomUUID()).build());

    public static class BadSyntax {
        @DistributedLock(key = "'a' + + ")
        public void run() {
        }
    }

    public static class BadWait {
        @DistributedLock(key = "'a'", maxWait = "soon")
        public void run() {
        }
    }

    public static class FinalMethod {
        @DistributedLock(key = "'a'")
        public final void run() {
        }
    }

    public static class PrivateMethod {
        @DistributedLock(key = "'a'")
        private void run() {
        }

        public void call() {
            run();
        }
    }

    public static class StaticMethod {
        @DistributedLock(key = "'a'")
        public static void run() {
        }
    }

    @Test
    void a_key_that_is_not_spel_fails_naming_the_method() {
        runner.withBean(BadSyntax.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .hasMessageContaining("BadSyntax.run()").hasMessageContaining("is not a valid SpEL expression");
        });
    }

    @Test
    void a_wait_that_is_not_a_duration_fails_naming_the_method() {
        runner.withBean(BadWait.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).hasMessageContaining("BadWait.run()")
                    .hasMessageContaining("maxWait 'soon' is not a duration");
        });
    }

    @Test
    void final_private_and_static_methods_fail_naming_the_method() {
        runner.withBean(FinalMethod.class).run(context -> assertThat(context.getStartupFailure())
                .hasMessageContaining("FinalMethod.run()").hasMessageContaining("the method is final"));
        runner.withBean(PrivateMethod.class).run(context -> assertThat(context.getStartupFailure())
                .hasMessageContaining("PrivateMethod.run()").hasMessageContaining("the method is private"));
        runner.withBean(StaticMethod.class).run(context -> assertThat(context.getStartupFailure())
                .hasMessageContaining("StaticMethod.run()").hasMessageContaining("the method is static"));
    }
}
