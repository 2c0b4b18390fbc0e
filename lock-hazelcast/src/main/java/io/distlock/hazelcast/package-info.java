/**
 * The Hazelcast backend ({@code hazelcast://host:port?cluster=NAME}) on the community edition: locks in an
 * {@code IMap}, one atomic entry-processor call per operation, fencing tokens that survive a cluster restart, waits
 * woken by one entry listener per manager. Start from {@link io.distlock.hazelcast.HazelcastLockManager}.
 */
package io.distlock.hazelcast;
