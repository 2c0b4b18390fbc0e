-- distlock schema V3 for MySQL 8 and MariaDB 10.11: no index on distlock_locks.expires_us, which every acquire, renew
-- and release changes (each change rewrote a secondary index entry); the bounded purge, its only reader, scans the
-- table instead. Written for a table created by V1 (MySQL 8 has no DROP INDEX IF EXISTS).
ALTER TABLE distlock_locks DROP INDEX distlock_locks_expires;
