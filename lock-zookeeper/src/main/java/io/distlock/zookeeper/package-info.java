/**
 * The ZooKeeper backend ({@code zookeeper://}): one EPHEMERAL znode per held key, created in one round trip, held as
 * long as the session, with the node's creation zxid as fencing token. {@link io.distlock.zookeeper.ZooKeeperLockManager}
 * is the entry point; everything else is internal.
 */
package io.distlock.zookeeper;
