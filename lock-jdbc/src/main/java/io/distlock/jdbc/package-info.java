/**
 * The JDBC backend: locks, records and transactional idempotency keys in the application's SQL database
 * (PostgreSQL, MySQL, MariaDB, H2). Start with {@link io.distlock.jdbc.JdbcLockManager},
 * {@link io.distlock.jdbc.JdbcRecordStore} and {@link io.distlock.jdbc.TransactionalIdempotency}.
 */
package io.distlock.jdbc;
