package io.distlock.spring.web;

import io.distlock.spring.DistlockAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.web.servlet.DispatcherServlet;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class DistlockWebAutoConfigurationTest {

    private static final AutoConfigurations CONFIGURATIONS = AutoConfigurations.of(WebMvcAutoConfiguration.class,
            DistlockAutoConfiguration.class, DistlockWebAutoConfiguration.class);

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(CONFIGURATIONS).withPropertyValues("distlock.uri=local://" + UUID.randomUUID());

    @Test
    void a_servlet_application_gets_the_problem_resolver_and_the_idempotency_filter() {
        web.run(context -> assertThat(context).hasNotFailed().hasSingleBean(LockProblemResolver.class)
                .hasSingleBean(IdempotencyFilter.class));
    }

    @Test
    void problem_details_can_be_switched_off() {
        web.withPropertyValues("distlock.web.problem-details=false").run(context ->
                assertThat(context).doesNotHaveBean(LockProblemResolver.class).hasSingleBean(IdempotencyFilter.class));
    }

    @Test
    void a_non_web_application_gets_neither() {
        new ApplicationContextRunner().withConfiguration(CONFIGURATIONS)
                .withPropertyValues("distlock.uri=local://" + UUID.randomUUID()).run(context ->
                        assertThat(context).doesNotHaveBean(LockProblemResolver.class)
                                .doesNotHaveBean(IdempotencyFilter.class));
    }

    @Test
    void without_spring_mvc_on_the_class_path_nothing_web_is_configured() {
        web.withClassLoader(new FilteredClassLoader(DispatcherServlet.class)).run(context ->
                assertThat(context).doesNotHaveBean(IdempotencyFilter.class));
    }

    @Test
    void an_invalid_ttl_property_fails_naming_it() {
        web.withPropertyValues("distlock.idempotency.ttl=0s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("distlock.idempotency.ttl must be positive");
        });
    }
}
