package io.distlock.spring;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockNotAcquiredException;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.EnableAsync;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DistributedLockTest {

    private final String table = "t" + UUID.randomUUID();
    private final LocalFaults faults = new LocalFaults();
    /** A second "replica" on the same table: what another instance of the application would see. */
    private final LockManager replica = LocalLockManager.builder().name(table).build();
    private final List<ExecutorService> executors = new ArrayList<>();

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class,
                        DistlockAutoConfiguration.class, DistributedLockAutoConfiguration.class))
                .withBean(LockManager.class, () -> LocalLockManager.builder().name(table).faults(faults)
                        .settings(LockSettings.defaults().withOperationTimeout(Duration.ofMillis(300))).build())
                .withUserConfiguration(Services.class);
    }

    @AfterEach
    void close() {
        replica.close();
        executors.forEach(ExecutorService::shutdownNow);
    }

    private ExecutorService executor() {
        ExecutorService executor = Executors.newCachedThreadPool();
        executors.add(executor);
        return executor;
    }

    /** What a request carries. */
    public record Request(String operator) {
    }

    /** A service as users write them: the annotation on a concrete class. */
    public static class UserService {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch proceed = new CountDownLatch(1);

        // Through methods: fields of a class-based proxy are not the target's.
        public CountDownLatch entered() {
            return entered;
        }

        public CountDownLatch proceed() {
            return proceed;
        }

        @DistributedLock(key = "'user-update:' + #request.operator")
        public String save(Request request) throws InterruptedException {
            entered.countDown();
            proceed.await(30, TimeUnit.SECONDS);
            return "saved " + request.operator();
        }

        @DistributedLock(key = "'user-update:' + #request.operator", maxWait = "20s")
        public String saveWaiting(Request request) {
            return "saved " + request.operator();
        }

        @DistributedLock(key = "#p0")
        public String byPosition(String key) {
            return key;
        }

        @DistributedLock(key = "'fenced:' + #id")
        public long fenced(String id, LockHandle lock) {
            assertThat(CurrentLock.handle()).containsSame(lock);
            return lock.fencingToken();
        }

        @DistributedLock(key = "'bean:' + @keys.region()")
        public String withBean() {
            return CurrentLock.handle().orElseThrow().key();
        }
    }

    /** The annotation on an interface method; the implementation does not repeat it. */
    public interface Reports {
        @DistributedLock(key = "'report:' + #name")
        String render(String name);
    }

    public static class ReportsImpl implements Reports {
        @Override
        public String render(String name) {
            return CurrentLock.handle().orElseThrow().key();
        }
    }

    public static class AsyncService {
        private final CountDownLatch proceed = new CountDownLatch(1);

        public CountDownLatch proceed() {
            return proceed;
        }

        @Async
        @DistributedLock(key = "'async:' + #id")
        public CompletableFuture<String> run(String id) throws InterruptedException {
            proceed.await(30, TimeUnit.SECONDS);
            return CompletableFuture.completedFuture(Thread.currentThread().getName());
        }
    }

    public static class Keys {
        public String region() {
            return "eu";
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    static class Services {
        @Bean
        UserService userService() {
            return new UserService();
        }

        @Bean
        Reports reports() {
            return new ReportsImpl();
        }

        @Bean
        AsyncService asyncService() {
            return new AsyncService();
        }

        @Bean
        Keys keys() {
            return new Keys();
        }

        @Bean
        ThreadPoolTaskExecutor taskExecutor() {
            ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
            executor.setThreadNamePrefix("async-");
            executor.setCorePoolSize(4);
            return executor;
        }
    }

    @Test
    void of_two_concurrent_calls_with_the_same_key_one_runs_and_the_other_fails_fast() {
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            Future<String> first = executor().submit(() -> users.save(new Request("alice")));
            assertThat(users.entered().await(30, TimeUnit.SECONDS)).isTrue();
            long start = System.nanoTime();
            assertThatThrownBy(() -> users.save(new Request("alice"))).isInstanceOf(LockNotAcquiredException.class)
                    .hasMessageContaining("user-update:alice");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("no waiting").isLessThan(Duration.ofSeconds(5));
            assertThat(replica.tryLock("user-update:alice")).as("another replica sees it held").isEmpty();
            assertThat(users.byPosition("user-update:bob")).as("other keys are free").isEqualTo("user-update:bob");
            users.proceed().countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("saved alice");
            assertThat(replica.tryLock("user-update:alice")).as("released after the call").isPresent()
                    .get().satisfies(LockHandle::close);
        });
    }

    @Test
    void max_wait_waits_for_the_holder() {
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            LockHandle held = replica.tryLock("user-update:carol").orElseThrow();
            Future<String> waiting = executor().submit(() -> users.saveWaiting(new Request("carol")));
            Thread.sleep(50); // gives the call time to start waiting; the result does not depend on it
            held.close();
            assertThat(waiting.get(30, TimeUnit.SECONDS)).isEqualTo("saved carol");
        });
    }

    @Test
    void an_outage_is_a_backend_exception_never_contention() {
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            faults.startOutage();
            try {
                assertThatThrownBy(() -> users.byPosition("k")).isInstanceOf(LockBackendException.class);
            } finally {
                faults.endOutage();
            }
        });
    }

    @Test
    void a_null_key_part_fails_the_call_naming_method_and_expression() {
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            assertThatThrownBy(() -> users.save(new Request(null))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("UserService.save(Request)")
                    .hasMessageContaining("'user-update:' + #request.operator")
                    .hasMessageContaining("evaluated to null");
            assertThatThrownBy(() -> users.byPosition(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("UserService.byPosition(String)").hasMessageContaining("'#p0'")
                    .hasMessageContaining("evaluated to null");
            assertThatThrownBy(() -> users.byPosition("  ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blank");
            assertThat(replica.tryLock("user-update:null")).as("nothing locked 'null'").isPresent()
                    .get().satisfies(LockHandle::close);
        });
    }

    @Test
    void the_handle_is_injected_as_a_parameter_and_reachable_statically() {
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            long first = users.fenced("a", null);
            long second = users.fenced("a", null);
            assertThat(second).as("fencing tokens increase").isGreaterThan(first);
            assertThat(CurrentLock.handle()).as("only inside the method").isEmpty();
            assertThat(users.withBean()).as("@beans in the key").isEqualTo("bean:eu");
        });
    }

    @Test
    void works_on_interface_methods_with_class_and_interface_proxies() {
        runner().run(context -> assertThat(context.getBean(Reports.class).render("daily")).isEqualTo("report:daily"));
        runner().withPropertyValues("spring.aop.proxy-target-class=false").run(context -> {
            Reports reports = context.getBean(Reports.class);
            assertThat(java.lang.reflect.Proxy.isProxyClass(reports.getClass())).isTrue();
            assertThat(reports.render("weekly")).isEqualTo("report:weekly");
        });
    }

    @Test
    void async_methods_take_the_lock_on_the_executor_thread_and_report_contention_through_the_future() {
        runner().run(context -> {
            AsyncService service = context.getBean(AsyncService.class);
            CompletableFuture<String> first = service.run("x");
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> replica.tryLock("async:x").map(h -> {
                        h.close();
                        return false;
                    }).orElse(true));
            CompletableFuture<String> second = service.run("x");
            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(LockNotAcquiredException.class);
            service.proceed().countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).startsWith("async-");
        });
    }

    @Test
    void works_on_virtual_threads() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21+; this run is on "
                + Runtime.version() + " (lock-spring-boot-compat runs this test on Java 25 where installed)");
        // Through reflection: the build targets Java 17, which has no such method.
        ExecutorService virtual = (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
                .invoke(null);
        executors.add(virtual);
        runner().run(context -> {
            UserService users = context.getBean(UserService.class);
            Future<String> first = virtual.submit(() -> users.save(new Request("dave")));
            assertThat(users.entered().await(30, TimeUnit.SECONDS)).isTrue();
            Future<?> second = virtual.submit(() -> users.save(new Request("dave")));
            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(
                    LockNotAcquiredException.class);
            users.proceed().countDown();
            assertThat(first.get(30, TimeUnit.SECONDS)).isEqualTo("saved dave");
            Future<Long> fenced = virtual.submit(() -> users.fenced("v", null));
            assertThat(fenced.get(30, TimeUnit.SECONDS)).isPositive();
        });
    }
}
