package io.distlock.redis;

import io.distlock.idempotency.spi.RecordStore;
import org.redisson.api.RBucket;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.options.OptionalOptions;
import org.redisson.api.options.PlainOptions;
import org.redisson.client.codec.ByteArrayCodec;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The {@link RecordStore} on a Redisson client. Each operation is one command or one script, so one round trip:
 * putIfAbsent is {@code SET key value PX ttl NX}, get is {@code GET}, replace and remove are short scripts that
 * compare the stored bytes with the expected ones and write in the same atomic step. Expiry is Redis's own
 * ({@code PX}), so an expired record is absent for every command at once. Values are raw bytes
 * ({@link ByteArrayCodec}); Lua strings are byte strings, so the scripts compare byte for byte.
 *
 * <p>As for locks, every call goes out with no client-side retry and is awaited for at most the operation timeout:
 * a write that timed out may still have been applied, and a retry could apply it twice. Thread safe.
 */
final class RedisRecords implements RecordStore {

    /** KEYS: record key. ARGV: expected value, new value, ttl in ms. Returns 1 if replaced, else 0. */
    static final String REPLACE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
              return 1
            end
            return 0
            """;

    /** KEYS: record key. ARGV: expected value. Returns 1 if removed, else 0. */
    static final String REMOVE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              return 1
            end
            return 0
            """;

    private final RedissonClient client;
    private final boolean ownsClient;
    private final RedisCalls calls;
    private final String keyPrefix;
    private final int maxValueBytes;
    private final Duration timeout;
    private final RScript script;
    private final AtomicBoolean closed = new AtomicBoolean();

    RedisRecords(RedissonClient client, boolean ownsClient, RedisFailures failures, String keyPrefix,
                 int maxValueBytes, Duration operationTimeout) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.calls = new RedisCalls(failures, operationTimeout);
        this.keyPrefix = keyPrefix;
        this.maxValueBytes = maxValueBytes;
        this.timeout = operationTimeout;
        // As for locks: per-call options also bound a caller's client, whose own timeout and retries may be longer.
        this.script = client.getScript(OptionalOptions.defaults()
                .codec(ByteArrayCodec.INSTANCE)
                .timeout(operationTimeout)
                .retryAttempts(0));
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public int maxValueBytes() {
        return maxValueBytes;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
        String recordKey = recordKey(key);
        checkValue(key, value);
        long ttlMillis = ttlMillis(ttl);
        return awaitReply("storing", key, () -> bucket(recordKey).setIfAbsentAsync(value,
                Duration.ofMillis(ttlMillis)));
    }

    @Override
    public Optional<byte[]> get(String key) {
        String recordKey = recordKey(key);
        return Optional.ofNullable(await("reading", key, false, () -> bucket(recordKey).getAsync()));
    }

    @Override
    public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
        String recordKey = recordKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        checkValue(key, value);
        byte[] ttlMillis = Long.toString(ttlMillis(ttl)).getBytes(StandardCharsets.US_ASCII);
        if (expected.length > maxValueBytes) {
            // No stored value can be this large, so it cannot match; no need to send it.
            return false;
        }
        Long replaced = awaitReply("replacing", key, () -> script.evalAsync(recordKey, RScript.Mode.READ_WRITE,
                REPLACE, RScript.ReturnType.INTEGER, List.of(recordKey), expected, value, ttlMillis));
        return replaced == 1;
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        String recordKey = recordKey(key);
        Objects.requireNonNull(expected, "expected must not be null");
        if (expected.length > maxValueBytes) {
            return false;
        }
        Long removed = awaitReply("removing", key, () -> script.evalAsync(recordKey, RScript.Mode.READ_WRITE,
                REMOVE, RScript.ReturnType.INTEGER, List.of(recordKey), expected));
        return removed == 1;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsClient) {
            RedisConnection.shutdown(client, timeout);
        }
    }

    private String recordKey(String key) {
        Objects.requireNonNull(key, "key must not be null");
        if (closed.get()) {
            throw new IllegalStateException("the Redis record store on " + calls.description() + " is closed");
        }
        return RedisKeys.recordKey(keyPrefix + key);
    }

    private RBucket<byte[]> bucket(String recordKey) {
        return client.getBucket(PlainOptions.name(recordKey)
                .codec(ByteArrayCodec.INSTANCE)
                .timeout(timeout)
                .retryAttempts(0));
    }

    private void checkValue(String key, byte[] value) {
        Objects.requireNonNull(value, "value must not be null");
        if (value.length > maxValueBytes) {
            throw new IllegalArgumentException("the value for record '" + key + "' is " + value.length
                    + " bytes; this Redis record store takes at most " + maxValueBytes);
        }
    }

    /** Whole milliseconds, rounded up so that a ttl below 1 ms still stores (PX 0 is an error in Redis). */
    private static long ttlMillis(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        long millis = ttl.toMillis();
        return ttl.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
    }

    /**
     * Sends one call and waits at most the operation timeout for its answer. A write that times out or is
     * interrupted has an unknown outcome (the server may still apply it), which the message says.
     */
    private <T> T await(String action, String key, boolean write, Supplier<RFuture<T>> call) {
        String what = action + " record '" + key + "'";
        return calls.await(calls.send(what, call), what, write ? "; whether it was applied is unknown" : "");
    }

    /** As {@link #await}, for a write whose reply must have a value (nil would read as "not stored"). */
    private <T> T awaitReply(String action, String key, Supplier<RFuture<T>> call) {
        String what = action + " record '" + key + "'";
        return calls.awaitReply(calls.send(what, call), what, "; whether it was applied is unknown");
    }

    @Override
    public String toString() {
        return "RedisRecordStore[" + calls.description() + "]";
    }
}
