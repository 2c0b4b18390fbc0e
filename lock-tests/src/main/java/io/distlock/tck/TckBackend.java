package io.distlock.tck;

import io.distlock.LockManager;
import io.distlock.LockSettings;

import java.time.Duration;
import java.util.Optional;

/**
 * What a backend module gives the TCK: a way to make managers ("replicas") on one shared backend, the settings and
 * timing it needs, and optionally a fault injector. One instance serves every TCK class of a run; it must be thread
 * safe. The TCK closes every manager it creates.
 */
public interface TckBackend {

    /** {@return a short name for messages, e.g. {@code redis (single server)}} */
    String name();

    /**
     * A new manager on the shared backend, as a separate replica would have: managers made here must exclude each
     * other. The TCK passes {@link #settings()} or a variant of it (lease, renewal).
     *
     * @param settings the settings of the new manager
     * @return the new manager; the kit closes it
     */
    LockManager newManager(LockSettings settings);

    /**
     * The settings the TCK starts from. Default: the defaults with a 2 second operation timeout.
     *
     * @return the settings
     */
    default LockSettings settings() {
        return LockSettings.defaults().withOperationTimeout(Duration.ofSeconds(2));
    }

    /**
     * A lease short enough for tests that wait for expiry or renewal, long enough for the backend to renew reliably
     * on a loaded 2-core CI machine (600 ms was seen to flake there at a load average of 9). Default 1 s.
     *
     * <p>Fixtures should also make a fresh deployment ready before the kit runs (e.g. Hazelcast assigns partitions
     * on first use, which can take over a second): the kit's timing starts with its first call.
     *
     * @return the short lease
     */
    default Duration shortLease() {
        return Duration.ofSeconds(1);
    }

    /**
     * Why the backend lacks {@code capability}, or empty if it has it. Tests needing a missing capability are
     * reported as skipped with this reason, never silently left out.
     *
     * @param capability the capability a test needs
     * @return the reason it is missing, or empty if the backend has it
     */
    default Optional<String> lacks(Capability capability) {
        return Optional.empty();
    }

    /**
     * The fault injector, if the backend has one; tests that need faults are skipped without it.
     *
     * @return the fault injector, or empty
     */
    default Optional<Faults> faults() {
        return Optional.empty();
    }

    /** Optional abilities the contract lets a backend lack, each with tests that need it. */
    enum Capability {
        /**
         * Fixed-lease mode (renewal off): a lock expires one lease after it was taken. Backends whose locks live as
         * long as a session (ZooKeeper) lack it.
         */
        FIXED_LEASE,
        /**
         * The holder's fencing token in {@link io.distlock.LockInspector#holder} and {@code list}. A store that keeps
         * the token apart from the lock and would need a second request for it lacks it: its inspection reports 0.
         */
        INSPECTED_FENCING_TOKEN
    }

    /**
     * Faults the TCK injects into the shared backend. Each method returns once the fault is in effect; the TCK always
     * undoes an outage in a finally block.
     */
    interface Faults {

        /** Makes the backend unreachable for every manager: calls must time out (e.g. SIGSTOP the server). */
        void startOutage();

        /** Makes the backend reachable again, with its data (e.g. SIGCONT). */
        void endOutage();

        /**
         * Makes every currently held lock disappear from the backend, as a restart without persistence or a session
         * expiry would, while the backend stays reachable.
         */
        void loseAllLocks();

        /**
         * Deletes (or overwrites) the lock of {@code key} in the store as someone else would — an operator's
         * {@code DEL}/{@code deleteall}, a clean-up script — while the backend stays reachable and the holder's
         * client is untouched. {@code key} is the key as the test passed it to {@code tryLock}; the fixture applies
         * the managers' key prefix and its store encoding. The TCK checks that the holder reports the loss and that
         * its stale {@code close()} never removes the next holder's lock.
         *
         * @param key the user's key, before prefixing
         * @throws UnsupportedOperationException if the fixture cannot do this; the tests that need it are skipped
         */
        default void deleteLock(String key) {
            throw new UnsupportedOperationException("this fixture cannot delete a single lock behind its holder");
        }
    }
}
