-- distlock schema for MySQL 8 and MariaDB 10.11 (InnoDB). Times are microseconds since the epoch on the DATABASE
-- clock. Keys are VARBINARY so that no collation folds two distinct keys into one.
CREATE TABLE IF NOT EXISTS distlock_locks (
    lock_key   VARBINARY(1280) NOT NULL PRIMARY KEY,
    owner      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin,
    token      BIGINT          NOT NULL,
    expires_us BIGINT          NOT NULL,
    KEY distlock_locks_expires (expires_us)
) ENGINE = InnoDB;
CREATE TABLE IF NOT EXISTS distlock_records (
    record_key VARBINARY(1400) NOT NULL PRIMARY KEY,
    record_value LONGBLOB      NOT NULL,
    expires_us BIGINT          NOT NULL,
    KEY distlock_records_expires (expires_us)
) ENGINE = InnoDB;
CREATE TABLE IF NOT EXISTS distlock_idempotency (
    record_key  VARBINARY(1000) NOT NULL PRIMARY KEY,
    fingerprint VARBINARY(32)   NOT NULL,
    status      SMALLINT        NOT NULL,
    result      LONGBLOB,
    expires_us  BIGINT          NOT NULL,
    KEY distlock_idempotency_expires (expires_us)
) ENGINE = InnoDB;
