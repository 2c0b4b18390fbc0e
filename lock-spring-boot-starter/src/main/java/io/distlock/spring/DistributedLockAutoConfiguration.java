package io.distlock.spring;

import io.distlock.LockManager;
import org.springframework.aop.config.AopConfigUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.context.annotation.Role;
import org.springframework.core.Ordered;
import org.springframework.core.type.AnnotationMetadata;

/**
 * {@link DistributedLock} on bean methods: an advisor with a method interceptor, applied by Spring's infrastructure
 * auto-proxy creator (no AOP starter or AspectJ needed), and a start-up check of every annotated method.
 *
 * <p>The advisor's order is {@link #ADVISOR_ORDER}: before (outside) {@code @Transactional}, so on a method with
 * both the lock is taken before the transaction begins (no database connection held while the lock is contended)
 * and released after it completed; inside a caller's transaction the release waits for that transaction.
 * {@code @Async} advisors run before it, so an asynchronous method takes its lock on the executor's thread.
 */
@AutoConfiguration(after = DistlockAutoConfiguration.class)
@Import(DistributedLockAutoConfiguration.AutoProxy.class)
public class DistributedLockAutoConfiguration {

    /** Just inside the highest precedence, so that application advisors can still go around it. */
    public static final int ADVISOR_ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static LockKeyExpressions distlockLockKeyExpressions(BeanFactory beanFactory) {
        return new LockKeyExpressions(beanFactory);
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static DistributedLockMethodCheck distlockDistributedLockMethodCheck(ObjectProvider<LockKeyExpressions> e) {
        return new DistributedLockMethodCheck(e.getObject());
    }

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    static DefaultPointcutAdvisor distlockDistributedLockAdvisor(ObjectProvider<LockManager> locks,
                                                                 ObjectProvider<LockKeyExpressions> expressions) {
        // The manager is looked up at the first call: the advisor is infrastructure, created before the beans
        // that the manager itself may depend on (the application's client).
        DefaultPointcutAdvisor advisor = new DefaultPointcutAdvisor(
                new AnnotationMatchingPointcut(null, DistributedLock.class, true),
                new DistributedLockInterceptor(locks, expressions.getObject()));
        advisor.setOrder(ADVISOR_ORDER);
        return advisor;
    }

    /** Registers Spring's infrastructure auto-proxy creator unless the application has one already. */
    static class AutoProxy implements ImportBeanDefinitionRegistrar {
        @Override
        public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
            AopConfigUtils.registerAutoProxyCreatorIfNecessary(registry);
        }
    }
}
