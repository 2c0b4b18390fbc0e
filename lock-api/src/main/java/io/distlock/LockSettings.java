package io.distlock;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The settings every backend shares: lease, renewal, operation timeout, key prefix, the ticker and the manager's
 * name. Immutable and validated when built; change a copy with the {@code with...} methods.
 *
 * @param lease how long a lock outlives its last renewal; a holder that dies frees its keys within one lease
 *     (clause 5). Default 30 seconds.
 * @param renewal whether open handles are renewed about every third of the lease (default true); when false, each
 *     lock simply expires one lease after it was taken (fixed-lease mode)
 * @param operationTimeout the longest one backend call may take before {@link LockBackendException} (clause 9).
 *     Default 3 seconds.
 * @param keyPrefix prepended to every key before it reaches the backend, to separate applications sharing one
 *     backend; at most 256 UTF-8 bytes. Default empty.
 * @param ticker the time base of leases and deadlines. Default {@link Ticker#system()}. Renewals against a store
 *     that keeps its own time are also scheduled on the system clock, and {@code isHeld()} also turns false when the
 *     lease ran out on the system clock, so a frozen test ticker cannot keep a lock "held" that the store expired.
 * @param lossExecutor where {@link LockHandle#lost()} completes, and so where its dependent actions run, so that a
 *     slow or failing callback never delays renewals or other locks' loss reports. Default: the executor
 *     {@link CompletableFuture} uses for its async methods (the common fork-join pool, or a thread per task when it
 *     has a single thread). A callback that blocks should use {@code lost().thenRunAsync(action, yourExecutor)}.
 * @param listeners told of every acquisition, release, loss, renewal and backend error, in this order (see
 *     {@link LockListener} for threads and failures); an unmodifiable copy. Default none.
 * @param managerName how this manager names itself in the description stored with each of its locks, which operators
 *     see through {@link LockInspector#holder(String)}: not blank; percent-encoded in the store and cut to 64
 *     encoded characters there. Default {@link #defaultManagerName()}, the host name and process id
 *     ({@code web-3:12345}).
 */
public record LockSettings(Duration lease, boolean renewal, Duration operationTimeout, String keyPrefix,
                           Ticker ticker, Executor lossExecutor, List<LockListener> listeners, String managerName) {

    /** The default lease, 30 seconds. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);
    /** The default operation timeout, 3 seconds. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(3);
    /** The shortest lease accepted: renewal runs at a third of it, and backends count leases in milliseconds. */
    public static final Duration MIN_LEASE = Duration.ofMillis(30);
    static final int MAX_PREFIX_BYTES = 256;
    private static final Executor DEFAULT_LOSS_EXECUTOR = new CompletableFuture<Void>().defaultExecutor();
    private static final String DEFAULT_MANAGER_NAME = hostName() + ":" + ProcessHandle.current().pid();

    /**
     * Validates the settings.
     *
     * @param lease the lease
     * @param renewal whether handles are renewed
     * @param operationTimeout the longest one backend call may take
     * @param keyPrefix the key prefix
     * @param ticker the time base
     * @param lossExecutor where {@code lost()} completes
     * @param listeners the listeners told of this manager's events, in order (copied)
     * @param managerName the name in the description of this manager's locks
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the lease is shorter than {@link #MIN_LEASE}, the operation timeout is not
     *     positive, the prefix is longer than 256 UTF-8 bytes or the manager name is blank
     */
    public LockSettings {
        Objects.requireNonNull(managerName, "managerName must not be null");
        if (managerName.isBlank()) {
            throw new IllegalArgumentException("managerName must not be blank");
        }
        Objects.requireNonNull(lossExecutor, "lossExecutor must not be null");
        Objects.requireNonNull(listeners, "listeners must not be null");
        for (LockListener listener : listeners) {
            Objects.requireNonNull(listener, "listeners must not contain null");
        }
        listeners = List.copyOf(listeners);
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
     * The settings with the default manager name.
     *
     * @param lease the lease
     * @param renewal whether handles are renewed
     * @param operationTimeout the longest one backend call may take
     * @param keyPrefix the key prefix
     * @param ticker the time base
     * @param lossExecutor where {@code lost()} completes
     * @param listeners the listeners told of this manager's events, in order (copied)
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException as the canonical constructor
     */
    public LockSettings(Duration lease, boolean renewal, Duration operationTimeout, String keyPrefix, Ticker ticker,
                        Executor lossExecutor, List<LockListener> listeners) {
        this(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners, DEFAULT_MANAGER_NAME);
    }

    /**
     * The settings with the default loss executor.
     *
     * @param lease the lease
     * @param renewal whether handles are renewed
     * @param operationTimeout the longest one backend call may take
     * @param keyPrefix the key prefix
     * @param ticker the time base
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException as the canonical constructor
     */
    public LockSettings(Duration lease, boolean renewal, Duration operationTimeout, String keyPrefix, Ticker ticker) {
        this(lease, renewal, operationTimeout, keyPrefix, ticker, DEFAULT_LOSS_EXECUTOR, List.of());
    }

    /**
     * The settings without listeners.
     *
     * @param lease the lease
     * @param renewal whether handles are renewed
     * @param operationTimeout the longest one backend call may take
     * @param keyPrefix the key prefix
     * @param ticker the time base
     * @param lossExecutor where {@code lost()} completes
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException as the canonical constructor
     */
    public LockSettings(Duration lease, boolean renewal, Duration operationTimeout, String keyPrefix, Ticker ticker,
                        Executor lossExecutor) {
        this(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, List.of());
    }

    /**
     * Lease 30 s with renewal, operation timeout 3 s, no prefix, system ticker, default loss executor.
     *
     * @return the defaults
     */
    public static LockSettings defaults() {
        return new LockSettings(DEFAULT_LEASE, true, DEFAULT_OPERATION_TIMEOUT, "", Ticker.system());
    }

    /**
     * A copy with another lease.
     *
     * @param lease the new value
     * @return the copy
     * @throws NullPointerException if it is null (where a null is possible)
     * @throws IllegalArgumentException if it is invalid, as the canonical constructor says
     */
    public LockSettings withLease(Duration lease) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another renewal.
     *
     * @param renewal the new value
     * @return the copy
     * @throws NullPointerException if it is null (where a null is possible)
     * @throws IllegalArgumentException if it is invalid, as the canonical constructor says
     */
    public LockSettings withRenewal(boolean renewal) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another operationTimeout.
     *
     * @param operationTimeout the new value
     * @return the copy
     * @throws NullPointerException if it is null (where a null is possible)
     * @throws IllegalArgumentException if it is invalid, as the canonical constructor says
     */
    public LockSettings withOperationTimeout(Duration operationTimeout) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another keyPrefix.
     *
     * @param keyPrefix the new value
     * @return the copy
     * @throws NullPointerException if it is null (where a null is possible)
     * @throws IllegalArgumentException if it is invalid, as the canonical constructor says
     */
    public LockSettings withKeyPrefix(String keyPrefix) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another ticker.
     *
     * @param ticker the new value
     * @return the copy
     * @throws NullPointerException if it is null (where a null is possible)
     * @throws IllegalArgumentException if it is invalid, as the canonical constructor says
     */
    public LockSettings withTicker(Ticker ticker) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another loss executor.
     *
     * @param lossExecutor where {@code lost()} completes
     * @return the copy
     * @throws NullPointerException if {@code lossExecutor} is null
     */
    public LockSettings withLossExecutor(Executor lossExecutor) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with {@code listener} added after the listeners already set.
     *
     * @param listener told of what the manager does; see {@link LockListener}
     * @return the copy
     * @throws NullPointerException if {@code listener} is null
     */
    public LockSettings withListener(LockListener listener) {
        Objects.requireNonNull(listener, "listener must not be null");
        List<LockListener> more = new ArrayList<>(listeners);
        more.add(listener);
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, more, managerName);
    }

    /**
     * A copy with exactly these listeners, replacing those set before.
     *
     * @param listeners the listeners, possibly none
     * @return the copy
     * @throws NullPointerException if {@code listeners} or one of them is null
     */
    public LockSettings withListeners(List<LockListener> listeners) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * A copy with another manager name.
     *
     * @param managerName how this manager names itself in the description of its locks; not blank
     * @return the copy
     * @throws NullPointerException if {@code managerName} is null
     * @throws IllegalArgumentException if it is blank
     */
    public LockSettings withManagerName(String managerName) {
        return new LockSettings(lease, renewal, operationTimeout, keyPrefix, ticker, lossExecutor, listeners,
                managerName);
    }

    /**
     * The manager name used unless one is set: this host's name and the process id, {@code HOST:PID}. The host name
     * is read without a DNS lookup ({@code InetAddress.getLocalHost()} can block for seconds on a misconfigured
     * resolver): the {@code HOSTNAME} or {@code COMPUTERNAME} environment variable, else
     * {@code /proc/sys/kernel/hostname}, else {@code localhost}.
     *
     * @return the default manager name, e.g. {@code web-3:12345}
     */
    public static String defaultManagerName() {
        return DEFAULT_MANAGER_NAME;
    }

    private static String hostName() {
        for (String variable : new String[] {"HOSTNAME", "COMPUTERNAME"}) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
        }
        try {
            String value = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/kernel/hostname"),
                    StandardCharsets.US_ASCII).trim();
            if (!value.isEmpty()) {
                return value;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux, or /proc is not mounted: fall through to the last resort.
        }
        return "localhost";
    }

    @Override
    public String toString() {
        return "LockSettings[lease=" + lease + ", renewal=" + renewal + ", operationTimeout=" + operationTimeout
                + ", keyPrefix='" + keyPrefix + "', managerName='" + managerName + "'" + (listeners.isEmpty() ? "" : ", listeners=" + listeners.size())
                + "]";
    }
}
