-- distlock schema V2 for PostgreSQL: owners carry a description of the acquisition (manager, thread, time) and are
-- up to 256 printable ASCII characters. Widening a VARCHAR rewrites nothing; it takes a brief exclusive table lock.
ALTER TABLE distlock_locks ALTER COLUMN owner TYPE VARCHAR(256);
