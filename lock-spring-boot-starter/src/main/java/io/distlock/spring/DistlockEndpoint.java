package io.distlock.spring;

import io.distlock.LockInfo;
import io.distlock.LockManager;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/**
 * The {@code distlock} Actuator endpoint, for the engineer on call:
 * <ul>
 *   <li>{@code GET /actuator/distlock}: the locks this instance holds now (key, age, fencing token, renewal state and
 *       an estimate of the lease left), from the manager's own events, without a request to the store;</li>
 *   <li>{@code GET /actuator/distlock/{key}}: who holds {@code key} anywhere, asked of the store through
 *       {@link LockManager#inspector()};</li>
 *   <li>{@code DELETE /actuator/distlock/{key}?reason=...}: force-release, available only when
 *       {@code management.endpoint.distlock.access=unrestricted} (the endpoint's default access is read-only).</li>
 * </ul>
 * Keys are application data: like every endpoint but health, this one is exposed over HTTP only when the application
 * includes it ({@code management.endpoints.web.exposure.include=distlock}); secure it as the other endpoints.
 */
@Endpoint(id = "distlock", defaultAccess = Access.READ_ONLY)
public final class DistlockEndpoint {

    private final LockManager locks;
    private final HeldLocks held;

    DistlockEndpoint(LockManager locks, HeldLocks held) {
        this.locks = locks;
        this.held = held;
    }

    /**
     * The locks this instance holds.
     *
     * @return the report; never null
     */
    @ReadOperation
    public HeldReport held() {
        Instant now = Instant.now();
        long nowNanos = System.nanoTime();
        String backend = held.backend();
        Duration lease = held.settings().lease();
        boolean renewal = held.settings().renewal();
        // etcd with renewal keeps one lease alive for all of a manager's locks: there is no per-lock renewal to show.
        boolean sharedLease = renewal && backend != null && backend.startsWith("etcd");
        List<HeldLock> list = held.snapshot().stream().map(entry -> {
            long ageNanos = nowNanos - entry.acquiredNanos;
            String state;
            Long leaseLeft;
            if (!renewal) {
                state = "fixed lease";
                leaseLeft = Math.max(0, lease.toMillis() - ageNanos / 1_000_000);
            } else if (sharedLease) {
                state = "shared lease";
                leaseLeft = null;
            } else {
                state = entry.failuresSinceConfirmed.get() > 0 ? "failing" : "renewing";
                leaseLeft = Math.max(0, lease.toMillis() - (nowNanos - entry.confirmedNanos) / 1_000_000);
            }
            return new HeldLock(entry.handle.key(), entry.handle.fencingToken(), iso(entry.acquiredAt),
                    ageNanos / 1_000_000, state, iso(entry.confirmedAt), entry.failuresSinceConfirmed.get(),
                    leaseLeft);
        }).toList();
        return new HeldReport(backend, backend != null, lease.toMillis(), renewal, list.size(), list, iso(now));
    }

    /**
     * Who holds {@code key}, in this application or any other using the same store and prefix.
     *
     * @param key the key's path segments (a key may contain {@code /})
     * @return the holder, or {@code held: false}
     */
    @ReadOperation
    public Holder holder(@Selector(match = Selector.Match.ALL_REMAINING) String[] key) {
        String k = String.join("/", key);
        return locks.inspector().holder(k).map(info -> Holder.of(info, Instant.now()))
                .orElseGet(() -> Holder.free(k));
    }

    /**
     * Force-releases {@code key} from whoever holds it, audited at WARN on {@code io.distlock.inspection}. Only with
     * {@code management.endpoint.distlock.access=unrestricted}.
     *
     * @param key the key's path segments
     * @param reason why, for the audit log; not blank
     * @param security who asks, for the audit log
     * @return what was released, or {@code released: false}
     */
    @DeleteOperation
    public Released release(@Selector(match = Selector.Match.ALL_REMAINING) String[] key, String reason,
                            SecurityContext security) {
        String k = String.join("/", key);
        if (reason == null || reason.isBlank()) {
            throw new InvalidEndpointRequestException("a reason is required for the audit log",
                    "Add ?reason=... (e.g. the incident id)");
        }
        String who = security != null && security.getPrincipal() != null ? security.getPrincipal().getName()
                : "an anonymous caller";
        Optional<LockInfo> released = locks.inspector().forceRelease(k,
                reason.strip() + " (by " + who + " through the actuator endpoint)");
        return new Released(k, released.isPresent(), released.map(info -> Holder.of(info, Instant.now()))
                .orElse(null));
    }

    private static String iso(Instant at) {
        return DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(ChronoUnit.MILLIS));
    }

    /**
     * The locks this instance holds.
     *
     * @param backend the manager's backend, e.g. {@code redis}; null if the manager is not the starter's
     * @param tracked whether the manager reports to this endpoint (false for an application's own LockManager bean,
     *                whose handles are then not listed)
     * @param leaseMillis the manager's lease
     * @param renewal whether the manager renews its leases
     * @param count how many locks are held
     * @param locks the held locks, oldest first
     * @param at when this report was made
     */
    public record HeldReport(String backend, boolean tracked, long leaseMillis, boolean renewal, int count,
                             List<HeldLock> locks, String at) {
    }

    /**
     * One lock held by this instance.
     *
     * @param key the key
     * @param fencingToken its fencing token
     * @param acquiredAt when it was acquired (ISO-8601)
     * @param ageMillis how long it has been held
     * @param renewal {@code renewing}, {@code failing} (renewals failed since the last confirmed one),
     *                {@code fixed lease} (no renewal) or {@code shared lease} (etcd keeps one lease for all)
     * @param lastConfirmedAt when the store last confirmed it (acquisition or renewal)
     * @param renewalFailures renewals failed since then
     * @param leaseLeftMillis this instance's estimate of the lease left (from the last confirmation), or null where
     *                        the lease is the manager's shared one
     */
    public record HeldLock(String key, long fencingToken, String acquiredAt, long ageMillis, String renewal,
                           String lastConfirmedAt, int renewalFailures, Long leaseLeftMillis) {
    }

    /**
     * Who holds a key, as the store says.
     *
     * @param key the key
     * @param held whether anyone holds it
     * @param manager the holding manager's name
     * @param thread the thread that acquired it
     * @param acquiredAt when (ISO-8601, the holder's clock), if recorded
     * @param ageMillis how long ago, if recorded
     * @param fencingToken the holder's fencing token, if the store tells it
     * @param leaseRemainingMillis the lease left as the store sees it; null for a session-bound lock
     * @param ownerId the holding acquisition's id
     */
    public record Holder(String key, boolean held, String manager, String thread, String acquiredAt, Long ageMillis,
                         Long fencingToken, Long leaseRemainingMillis, String ownerId) {

        static Holder of(LockInfo info, Instant now) {
            return new Holder(info.key(), true, info.managerName(), info.threadName(),
                    info.acquiredAt().map(DistlockEndpoint::iso).orElse(null),
                    info.acquiredAt().map(at -> Duration.between(at, now).toMillis()).orElse(null),
                    info.fencingToken() > 0 ? info.fencingToken() : null,
                    info.leaseRemaining().map(Duration::toMillis).orElse(null), info.ownerId());
        }

        static Holder free(String key) {
            return new Holder(key, false, null, null, null, null, null, null, null);
        }
    }

    /**
     * The outcome of a force-release.
     *
     * @param key the key
     * @param released whether a holder was released
     * @param holder the holder that was released, or null
     */
    public record Released(String key, boolean released, Holder holder) {
    }
}
