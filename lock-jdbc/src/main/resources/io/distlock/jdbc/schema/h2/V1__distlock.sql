-- distlock schema for H2 2.x. Times are microseconds since the epoch on the DATABASE clock.
CREATE TABLE IF NOT EXISTS distlock_locks (
    lock_key   VARBINARY(1280) NOT NULL PRIMARY KEY,
    owner      VARCHAR(64),
    token      BIGINT          NOT NULL,
    expires_us BIGINT          NOT NULL
);
CREATE INDEX IF NOT EXISTS distlock_locks_expires ON distlock_locks (expires_us);
CREATE TABLE IF NOT EXISTS distlock_records (
    record_key VARBINARY(1400)     NOT NULL PRIMARY KEY,
    record_value VARBINARY(16777216) NOT NULL,
    expires_us BIGINT              NOT NULL
);
CREATE INDEX IF NOT EXISTS distlock_records_expires ON distlock_records (expires_us);
CREATE TABLE IF NOT EXISTS distlock_idempotency (
    record_key  VARBINARY(1000)     NOT NULL PRIMARY KEY,
    fingerprint VARBINARY(32)       NOT NULL,
    status      SMALLINT            NOT NULL,
    result      VARBINARY(16777216),
    expires_us  BIGINT              NOT NULL
);
CREATE INDEX IF NOT EXISTS distlock_idempotency_expires ON distlock_idempotency (expires_us);
