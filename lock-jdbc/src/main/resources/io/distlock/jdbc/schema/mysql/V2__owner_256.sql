-- distlock schema V2 for MySQL 8 and MariaDB 10.11: owners carry a description of the acquisition (manager, thread,
-- time) and are up to 256 printable ASCII characters. Same character set and binary collation as V1.
ALTER TABLE distlock_locks MODIFY owner VARCHAR(256) CHARACTER SET ascii COLLATE ascii_bin;
