package io.distlock.spring;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.util.UUID;

/**
 * Not a test: a rough measurement of what {@code @DistributedLock} adds to a plain {@code tryLock}/{@code close} on
 * the in-process backend (proxy, SpEL key, null-part check). Run from the IDE or with the test class path:
 * {@code java -cp ... io.distlock.spring.DistributedLockOverheadHarness}. Numbers are for orientation only; the
 * benchmarks in lock-bench are the measured claims.
 */
public final class DistributedLockOverheadHarness {

    /** A bean with one annotated method. */
    public static class Service {
        @DistributedLock(key = "'user-update:' + #operator")
        public int save(String operator) {
            return operator.length();
        }
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AopAutoConfiguration.class, DistlockAutoConfiguration.class,
                        DistributedLockAutoConfiguration.class))
                .withPropertyValues("distlock.uri=local://" + UUID.randomUUID())
                .withBean(Service.class)
                .run(context -> {
                    Service service = context.getBean(Service.class);
                    LockManager locks = context.getBean(LockManager.class);
                    for (int warm = 0; warm < 3; warm++) {
                        long direct = time(rounds, i -> {
                            try (LockHandle lock = locks.tryLock("user-update:alice").orElseThrow()) {
                                return lock.key().length();
                            }
                        });
                        long annotated = time(rounds, i -> service.save("alice"));
                        System.out.printf("round %d: tryLock+close %d ns/op, @DistributedLock %d ns/op%n", warm,
                                direct, annotated);
                    }
                });
    }

    private interface Op {
        int run(int i);
    }

    private static long time(int rounds, Op op) {
        long sink = 0;
        long start = System.nanoTime();
        for (int i = 0; i < rounds; i++) {
            sink += op.run(i);
        }
        long elapsed = System.nanoTime() - start;
        if (sink == 42) {
            System.out.println();
        }
        return elapsed / rounds;
    }
}
