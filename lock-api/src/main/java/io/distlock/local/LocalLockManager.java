package io.distlock.local;

import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.spi.LockManagerCore;

import java.util.Objects;

/**
 * Entry point of the in-process backend: managers built with the same {@linkplain Builder#name(String) name} share
 * one lock table, like replicas sharing a store, so service code can be tested for duplicate requests without a
 * server:
 * <pre>{@code
 * LockManager replicaA = LocalLockManager.builder().name("orders").build();
 * LockManager replicaB = LocalLockManager.builder().name("orders").build();
 * }</pre>
 * The same is reachable as {@code LockManagers.create(URI.create("local://orders"))}.
 *
 * <p>Guarantees: every clause of {@code docs/CONTRACT.md} within one JVM; fencing tokens come from one JVM-wide
 * counter, so they increase per key even after every manager of a name was closed and the table forgotten. It has no
 * outage of its own; {@link LocalFaults} simulates one (and data loss) for tests. Managers sharing a name should share one {@link io.distlock.Ticker}:
 * leases are compared on the ticker of the manager that asks. The table of a name is dropped when its last manager
 * closes.
 */
public final class LocalLockManager {

    private LocalLockManager() {
    }

    /**
     * Starts a builder with the table {@code default}, the default settings and no faults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds local managers; not thread safe, build() may be called repeatedly. */
    public static final class Builder {
        private String name = "default";
        private LockSettings settings = LockSettings.defaults();
        private LocalFaults faults;

        private Builder() {
        }

        /**
         * The shared table's name; managers with the same name exclude each other. Default {@code default}.
         *
         * @param name the table's name
         * @return this builder
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name must not be null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("local lock table name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Lease, renewal, timeout, key prefix and ticker; default {@link LockSettings#defaults()}.
         *
         * @param settings the settings
         * @return this builder
         */
        public Builder settings(LockSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings must not be null");
            return this;
        }

        /**
         * Simulated outages and data loss for tests of code that uses the manager; none by default.
         *
         * @param faults the fault injector to attach
         * @return this builder
         */
        public Builder faults(LocalFaults faults) {
            this.faults = Objects.requireNonNull(faults, "faults must not be null");
            return this;
        }

        /**
         * A new manager on the table of this name.
         *
         * @return a new manager; the caller closes it
         * @throws IllegalArgumentException if the faults already serve the managers of another table
         */
        public LockManager build() {
            LocalLockTable table = LocalLockTable.open(name);
            try {
                return LockManagerCore.create(new LocalLockBackend(table, settings.ticker(), faults,
                        settings.operationTimeout()), settings);
            } catch (RuntimeException e) {
                table.closeReference();
                throw e;
            }
        }
    }
}
