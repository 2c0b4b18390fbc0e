-- distlock schema V3 for H2 2.x: no index on distlock_locks.expires_us, which every acquire, renew and release
-- changes; the bounded purge, its only reader, scans the table instead.
DROP INDEX IF EXISTS distlock_locks_expires;
