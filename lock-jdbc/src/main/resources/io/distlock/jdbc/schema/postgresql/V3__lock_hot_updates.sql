-- distlock schema V3 for PostgreSQL: no index on distlock_locks.expires_us. Every acquire, renew and release changes
-- expires_us; with the column indexed, none of those updates could be HOT (heap-only), so each one added an entry to
-- both indexes and a hot key's row left a trail of dead index entries behind it. Without it they stay on their page.
-- The bounded purge, the only reader of that index, scans the table instead, once per purge interval.
DROP INDEX IF EXISTS distlock_locks_expires;
-- Until when some manager waits for the key (µs, DB clock): a release sends pg_notify only while this is in the
-- future, because PostgreSQL queues a notification under one database-wide lock at commit, listener or not.
-- A constant default adds the column without rewriting the table.
ALTER TABLE distlock_locks ADD COLUMN IF NOT EXISTS waiters_until_us BIGINT NOT NULL DEFAULT 0;
