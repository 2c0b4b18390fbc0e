package io.distlock.spring;

import io.distlock.jdbc.TransactionalIdempotency;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.datasource.DataSourceUtils;

import javax.sql.DataSource;

/**
 * The {@link JdbcTransactionalIdempotency} bean on the application's {@link DataSource}, when {@code lock-jdbc} and
 * spring-jdbc are on the class path and the context has one data source (or a primary one). It is independent of
 * where the locks live: an application on Redis locks can still keep its exactly-once records in its own database.
 * {@code distlock.jdbc.transactional-idempotency=false} turns it off. The table ({@code distlock_idempotency}) comes
 * from the schema scripts in {@code lock-jdbc}, or from {@code distlock.jdbc.create-schema=true} through the JDBC
 * lock manager.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnClass({TransactionalIdempotency.class, DataSourceUtils.class})
@ConditionalOnSingleCandidate(DataSource.class)
@ConditionalOnProperty(prefix = "distlock.jdbc", name = "transactional-idempotency", havingValue = "true",
        matchIfMissing = true)
@EnableConfigurationProperties(DistlockProperties.class)
public class DistlockJdbcAutoConfiguration {

    /** Creates the auto-configuration; Spring does. */
    public DistlockJdbcAutoConfiguration() {
    }

    @Bean
    @ConditionalOnMissingBean
    JdbcTransactionalIdempotency distlockJdbcTransactionalIdempotency(DataSource dataSource,
                                                                      DistlockProperties properties) {
        TransactionalIdempotency idempotency = TransactionalIdempotency.builder()
                .lockWait(properties.getJdbc().getLockWait())
                .maxResultBytes(properties.getIdempotency().getMaxResponseBytes())
                .build();
        return new JdbcTransactionalIdempotency(dataSource, idempotency, properties.getIdempotency().getTtl());
    }
}
