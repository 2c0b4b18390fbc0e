/**
 * The Redis backend ({@code redis://}, {@code rediss://}, {@code redis-sentinel://}, {@code redis-cluster://}) on the
 * Redisson client: one Lua script per operation, fencing tokens from a per-key counter and the server clock, release
 * notifications over one shared pub/sub channel. {@link io.distlock.redis.RedisLockManager} is the entry point;
 * {@link io.distlock.redis.RedisRecordStore} is the record store for lock-idempotency on the same deployment.
 */
package io.distlock.redis;
