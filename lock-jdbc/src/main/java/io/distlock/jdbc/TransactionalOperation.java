package io.distlock.jdbc;

import java.sql.Connection;

/**
 * The business work of {@link TransactionalIdempotency#execute}: it writes through the caller's connection, inside
 * the caller's transaction, so that its effect and the idempotency record commit or roll back together.
 *
 * @param <T> the result, stored for replay by the codec
 */
@FunctionalInterface
public interface TransactionalOperation<T> {

    /**
     * Runs the work.
     *
     * @param connection the caller's connection, in its transaction; do not commit, roll back or close it here
     * @return the result
     * @throws Exception any failure; the claim is given up and the exception propagates (checked ones wrapped)
     */
    T run(Connection connection) throws Exception;
}
