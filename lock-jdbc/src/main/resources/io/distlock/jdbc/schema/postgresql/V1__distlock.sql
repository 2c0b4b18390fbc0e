-- distlock schema for PostgreSQL 13 or newer. Times are microseconds since the epoch on the DATABASE clock.
CREATE TABLE IF NOT EXISTS distlock_locks (
    lock_key   BYTEA       NOT NULL PRIMARY KEY, -- the UTF-8 bytes of the (prefixed) lock key, at most 1280
    owner      VARCHAR(64),                      -- the holding acquisition, NULL when released
    token      BIGINT      NOT NULL,             -- fencing token of the last acquisition; only ever increases
    expires_us BIGINT      NOT NULL              -- end of the lease (or time of release)
);
CREATE INDEX IF NOT EXISTS distlock_locks_expires ON distlock_locks (expires_us);
CREATE TABLE IF NOT EXISTS distlock_records (
    record_key BYTEA       NOT NULL PRIMARY KEY, -- the UTF-8 bytes of the record key, at most 1400
    record_value BYTEA     NOT NULL,
    expires_us BIGINT      NOT NULL
);
CREATE INDEX IF NOT EXISTS distlock_records_expires ON distlock_records (expires_us);
CREATE TABLE IF NOT EXISTS distlock_idempotency (
    record_key  BYTEA       NOT NULL PRIMARY KEY, -- the UTF-8 bytes of the idempotency key, at most 1000
    fingerprint BYTEA       NOT NULL,             -- SHA-256 of the request fingerprint
    status      SMALLINT    NOT NULL,             -- 1 completed, 3 claimed by a running transaction
    result      BYTEA,
    expires_us  BIGINT      NOT NULL
);
CREATE INDEX IF NOT EXISTS distlock_idempotency_expires ON distlock_idempotency (expires_us);
