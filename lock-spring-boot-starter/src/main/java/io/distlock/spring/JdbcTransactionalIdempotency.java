package io.distlock.spring;

import io.distlock.LockBackendException;
import io.distlock.idempotency.KeyReusedException;
import io.distlock.idempotency.OperationFailedException;
import io.distlock.idempotency.RequestInProgressException;
import io.distlock.idempotency.ResultCodec;
import io.distlock.jdbc.TransactionalIdempotency;
import io.distlock.jdbc.TransactionalOperation;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import javax.sql.DataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.Objects;

/**
 * Idempotency keys whose record commits or rolls back with the business write, inside a Spring transaction on the
 * application's {@link DataSource} ({@code @Transactional} with a {@code DataSourceTransactionManager}, also
 * {@code JdbcTemplate} work and JPA's transaction manager when it exposes the JDBC connection): the record is
 * written through the transaction's own connection, so the effect happens exactly once on the database even if the
 * process dies between the write and the commit.
 * <pre>{@code
 * @Transactional
 * public Receipt place(String idempotencyKey, Order order) {
 *     return idempotency.execute(idempotencyKey, order.fingerprint(), ResultCodec.serializable(Receipt.class),
 *             connection -> orders.insert(order));     // JdbcTemplate on the same DataSource: same transaction
 * }
 * }</pre>
 *
 * <p><b>Contract</b> (that of {@link TransactionalIdempotency}): the first request runs the operation; a retry after
 * its commit gets the stored result without running it; a rolled-back transaction leaves nothing, so its retry
 * runs again; a concurrent duplicate gets {@link RequestInProgressException} at once on PostgreSQL and within the
 * lock wait ({@code distlock.jdbc.lock-wait}) elsewhere, never only after the first commits; the same key with
 * another fingerprint gets {@link KeyReusedException}. Every one of these exceptions is unchecked, so Spring rolls
 * the transaction back by default, which is what the transaction needs.
 *
 * <p><b>Misuse:</b> outside a transaction on this data source an {@link IllegalStateException} is thrown before
 * anything is written. <b>Thread safety:</b> thread safe. Made by the auto-configuration when the context has one
 * {@code DataSource} and {@code lock-jdbc} is on the class path, whichever backend the locks use.
 */
public final class JdbcTransactionalIdempotency {

    private final DataSource dataSource;
    private final TransactionalIdempotency idempotency;
    private final Duration defaultTtl;

    /**
     * Creates it on {@code dataSource}.
     *
     * @param dataSource the data source the transactions run on (as the transaction manager knows it)
     * @param idempotency the records' rules (lock wait, result size)
     * @param defaultTtl how long results are replayed when a call names no ttl
     * @throws NullPointerException if an argument is null
     */
    public JdbcTransactionalIdempotency(DataSource dataSource, TransactionalIdempotency idempotency,
                                        Duration defaultTtl) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.idempotency = Objects.requireNonNull(idempotency, "idempotency must not be null");
        this.defaultTtl = Objects.requireNonNull(defaultTtl, "defaultTtl must not be null");
    }

    /**
     * Runs {@code operation} once for {@code key} in the current transaction, or replays the result a committed
     * earlier run stored; results are replayed for the default ttl ({@code distlock.idempotency.ttl}).
     *
     * @param key the idempotency key, at most 1000 UTF-8 bytes
     * @param fingerprint what identifies the request's content
     * @param codec how the result is stored
     * @param operation the business work; its writes must go to this data source (a {@code JdbcTemplate} on it, or
     *                  the connection passed in) to share the transaction
     * @param <T> the result type
     * @return the result, from this run or replayed
     * @throws IllegalStateException if no transaction on this data source is active
     * @throws RequestInProgressException if a transaction with this key is running
     * @throws KeyReusedException if the key was used with another fingerprint
     * @throws OperationFailedException if the operation threw a checked exception
     * @throws LockBackendException if the database failed
     */
    public <T> T execute(String key, String fingerprint, ResultCodec<T> codec, TransactionalOperation<T> operation) {
        return execute(key, fingerprint, defaultTtl, codec, operation);
    }

    /**
     * As {@link #execute(String, String, ResultCodec, TransactionalOperation)}, with the ttl given.
     *
     * @param key the idempotency key, at most 1000 UTF-8 bytes
     * @param fingerprint what identifies the request's content
     * @param ttl how long the result is replayed
     * @param codec how the result is stored
     * @param operation the business work
     * @param <T> the result type
     * @return the result, from this run or replayed
     * @throws IllegalStateException if no transaction on this data source is active
     * @throws RequestInProgressException if a transaction with this key is running
     * @throws KeyReusedException if the key was used with another fingerprint
     * @throws OperationFailedException if the operation threw a checked exception
     * @throws LockBackendException if the database failed
     */
    public <T> T execute(String key, String fingerprint, Duration ttl, ResultCodec<T> codec,
                         TransactionalOperation<T> operation) {
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(dataSource) == null) {
            // Checked before borrowing: DataSourceUtils would otherwise hand out a fresh autocommit connection,
            // and a record outside the business transaction is exactly what this class exists to avoid.
            throw new IllegalStateException("transactional idempotency needs a transaction on the application's "
                    + "DataSource (a @Transactional method with a DataSourceTransactionManager); none is active here");
        }
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            return idempotency.execute(connection, key, fingerprint, ttl, codec, operation);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }

    /**
     * Deletes at most {@code limit} expired records, e.g. from a scheduled job: in the current transaction if there
     * is one, else in one autocommit statement.
     *
     * @param limit the most rows to delete, positive
     * @return how many were deleted
     * @throws IllegalArgumentException if {@code limit} is not positive
     * @throws LockBackendException if the database failed
     */
    public int purgeExpired(int limit) {
        Connection connection = DataSourceUtils.getConnection(dataSource);
        try {
            return idempotency.purgeExpired(connection, limit);
        } finally {
            DataSourceUtils.releaseConnection(connection, dataSource);
        }
    }
}
