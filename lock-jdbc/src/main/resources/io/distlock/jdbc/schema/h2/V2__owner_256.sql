-- distlock schema V2 for H2 2.x: owners carry a description of the acquisition (manager, thread, time) and are up to
-- 256 printable ASCII characters.
ALTER TABLE distlock_locks ALTER COLUMN owner SET DATA TYPE VARCHAR(256);
