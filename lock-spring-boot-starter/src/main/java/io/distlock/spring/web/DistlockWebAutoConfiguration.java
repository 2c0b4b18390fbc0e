package io.distlock.spring.web;

import io.distlock.LockManager;
import io.distlock.idempotency.spi.RecordStore;
import io.distlock.spring.DistlockAutoConfiguration;
import io.distlock.spring.DistlockProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * In a servlet web application with Spring MVC: lock errors as problem details (409, 503 with Retry-After) and the
 * {@link Idempotent} filter.
 */
@AutoConfiguration(after = DistlockAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(LockManager.class)
public class DistlockWebAutoConfiguration {

    @Bean
    ProblemWriter distlockProblemWriter(ObjectProvider<RequestMappingHandlerAdapter> adapters,
                                        DistlockProperties properties) {
        return new ProblemWriter(adapters, properties.getWeb().getRetryAfter());
    }

    @Bean
    @ConditionalOnProperty(name = "distlock.web.problem-details", havingValue = "true", matchIfMissing = true)
    LockProblemResolver distlockLockProblemResolver(ProblemWriter problems) {
        return new LockProblemResolver(problems);
    }

    @Bean
    IdempotencyFilter distlockIdempotencyFilter(
            @Qualifier("requestMappingHandlerMapping") RequestMappingHandlerMapping handlers,
            ObjectProvider<LockManager> locks, ObjectProvider<RecordStore> records, DistlockProperties properties,
            Environment environment, ProblemWriter problems) {
        String prefix = properties.effectiveKeyPrefix(environment.getProperty("spring.application.name"));
        return new IdempotencyFilter(handlers, locks, records, properties.getIdempotency(), prefix, problems);
    }
}
