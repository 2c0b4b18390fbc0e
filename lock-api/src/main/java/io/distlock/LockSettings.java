package io.distlock;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings every backend shares: lease, renewal, operation timeout, key prefix and the ticker. Immutable and
 * validated when built; change a copy with the {@code with...} methods.
 *
 * @param lease how long a lock outlives its last renewal; a holder that dies frees its keys within one lease
 *     (clause 5). Default 30 seconds.
 * @param renewal whether open handles are renewed about every third of the lease (default true); when false, each
 *     lock simply expires one lease after it was taken (fixed-lease mode)
 * @param operationTimeout the longest one backend call may take before {@link LockBackendException} (clause 9).
 *     Default 3 seconds.
 * @param keyPrefix prepended to every key before it reaches the backend, to separate applications sharing one
 *     backend; at most 256 UTF-8 bytes. Default empty.
 * @param ticker the time base of leases and deadlines. Default {@link Ticker#system()}.
 */
public record LockSettings(Duration lease, boolean renewal, Duration operationTimeout, String keyPrefix,
                           Ticker ticker) {

    /** The default lease, 30 seconds. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The default operation timeout, 3 seconds. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(3);
    /** The shortest lease accepted: renewal runs at a third of it, and backends count leases in milliseconds. */
    public static final Duration MIN_LEASE = Duration.ofMillis(30);
    static final int MAX_PREFIX_BYTES = 256;

    /**
     * Validates the settings.
     *
     * @param lease how long a lock outlives its last renewal
     * @param renewal whether open handles are renewed
     * @param operationTimeout the longest one backend call may take
     * @param keyPrefix prepended to every key
     * @param ticker the time base
     * @throws NullPointerException if a duration, the prefix or the ticker is null
     * @throws IllegalArgumentException if the lease is shorter than {@link #MIN_LEASE}, the operation timeout is not
     *     positive, or the prefix is longer than 256 UTF-8 bytes
     */
    public LockSettings {
        Objects.requireNonNull(lease, "lease must not be null");
        Objects.requireNonNull(operationTimeout, "operationTimeout must not be null");
        Objects.requireNonNull(keyPrefix, "keyPrefix must not be null");
        Objects.requireNonNull(ticker, "ticker must not be null");
        if (lease.compareTo(MIN_LEASE) < 0) {
            throw new IllegalArgumentException("lease must be at least " + MIN_LEASE.toMillis() + " ms, got " + lease);
        }
        if (operationTimeout.isNegative() || operationTimeout.isZero()) {
            throw new IllegalArgumentException("operationTimeout must be positive, got " + operationTimeout);
        }
        if (keyPrefix.getBytes(StandardCharsets.UTF_8).length > MAX_PREFIX_BYTES) {
            throw new IllegalArgumentException("keyPrefix must be at most " + MAX_PREFIX_BYTES + " UTF-8 bytes");
        }
    }

    /**
     * Lease 30 s with renewal, operation timeout 3 s, no prefix, system ticker.
     *
     * @return the default settings
     */
    public static LockSettings defaults() {
        return new LockSettings(DEFAULT_LEASE, true, DEFAULT_OPERATION_TIMEOUT, "", Ticker.system());
    }

    /**
     * A copy with another lease.
     *
     * @param lease the new lease, at least {@link #MIN_LEASE}
     * @return the new settings
     * @throws IllegalArgumentException if the lease is too short
     */
    public LockSettings withLease(Duration lease) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker);
    }

    /**
     * A copy with renewal switched on or off (off: fixed-lease mode).
     *
     * @param renewal whether open handles are renewed
     * @return the new settings
     */
    public LockSettings withRenewal(boolean renewal) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker);
    }

    /**
     * A copy with another operation timeout.
     *
     * @param operationTimeout the new timeout, positive
     * @return the new settings
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public LockSettings withOperationTimeout(Duration operationTimeout) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker);
    }

    /**
     * A copy with another key prefix.
     *
     * @param keyPrefix the new prefix, at most 256 UTF-8 bytes
     * @return the new settings
     * @throws IllegalArgumentException if the prefix is too long
     */
    public LockSettings withKeyPrefix(String keyPrefix) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker);
    }

    /**
     * A copy with another time base, e.g. a fake ticker in tests.
     *
     * @param ticker the new ticker
     * @return the new settings
     */
    public LockSettings withTicker(Ticker ticker) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker);
    }

    @Override
    public String toString() {
        return "LockSettings[lease=" + lease + ", renewal=" + renewal + ", operationTimeout=" + operationTimeout
                + ", keyPrefix='" + keyPrefix + "']";
    }
}
