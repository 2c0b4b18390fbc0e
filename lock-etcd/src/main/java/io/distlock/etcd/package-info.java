/**
 * The etcd backend ({@code etcd://}, {@code etcds://}): one key per held lock, taken and released by one transaction
 * each, attached to one lease per manager that a single keep-alive renews for all its locks, with the key's create
 * revision as fencing token; and a record store for {@code lock-idempotency}, one key per record on a lease of its
 * ttl. {@link io.distlock.etcd.EtcdLockManager} and {@link io.distlock.etcd.EtcdRecordStore} are the entry points;
 * everything else is internal.
 */
package io.distlock.etcd;
