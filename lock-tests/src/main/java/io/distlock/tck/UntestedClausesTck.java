package io.distlock.tck;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The clauses, or parts of clauses, that a kit running against the public API cannot check, each reported as
 * skipped with the reason and where it is checked instead, so a report of the kit shows every clause: tested
 * (required), tested if the backend has the capability or a fault injector (optional, skipped with the backend's
 * reason otherwise), tested but timed ({@link AbstractTck#STOCHASTIC}), or untested (here) — the taxonomy of the
 * Reactive Streams TCK.
 */
public abstract class UntestedClausesTck extends AbstractTck {

    private static void untested(String reason) {
        Assumptions.abort("untested by the kit: " + reason);
    }

    @Test
    @DisplayName("clause 2.3: a failed tryLock on a key held elsewhere costs one round trip (untested)")
    void oneRoundTrip() {
        untested("round trips are not visible through the API; lock-bench counts them against the store");
    }

    @Test
    @DisplayName("clause 8.1: waiting does no busy polling (untested)")
    void noBusyPolling() {
        untested("request rates are not visible through the API; the kit checks that a release wakes a waiter well "
                + "before any re-check, and each backend's own tests count requests at the server");
    }

    @Test
    @DisplayName("clause 1, 7.4: exclusion and fencing across partitions, failover and data loss (untested)")
    void partitionsAndFailover() {
        untested("needs the store's own topology; each backend's fault tests and README state what holds");
    }

    @Test
    @DisplayName("clause 11.1: closing a manager closes what it owns, not a client the caller passed in (untested)")
    void clientOwnership() {
        untested("clients are backend-specific; each backend's builder tests check ownership");
    }

    @Test
    @DisplayName("clause 9.1: the default operation timeout is 3 s (untested)")
    void defaultTimeout() {
        untested("the kit runs with the fixture's timeout; lock-api's LockSettingsTest checks the defaults");
    }
}
