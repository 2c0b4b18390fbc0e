/**
 * The ZooKeeper backend ({@code zookeeper://}): one EPHEMERAL znode per held key, created in one round trip, held as
 * long as the session, with the node's creation zxid as fencing token; and a record store for
 * {@code lock-idempotency}, one PERSISTENT znode per record with versioned conditional writes and expiry on the
 * ensemble's clock. {@link io.distlock.zookeeper.ZooKeeperLockManager} and
 * {@link io.distlock.zookeeper.ZooKeeperRecordStore} are the entry points; everything else is internal.
 */
package io.distlock.zookeeper;
