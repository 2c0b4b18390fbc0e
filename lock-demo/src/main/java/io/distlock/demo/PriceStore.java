package io.distlock.demo;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The database every replica shares, kept in memory: the price of each user's order, whether its bargain cut was
 * applied, and a ledger of the cuts granted (the rows a real system would write: a coupon, a refund, an audit
 * entry). Each call is atomic on its own, as single statements are in a database; a read followed by a write is not,
 * which is the point of the demo. Thread safe.
 */
final class PriceStore {

    static final long LIST_PRICE_CENTS = 100_00;
    static final long CUT_CENTS = 10_00;

    /** One row. */
    record Offer(long priceCents, boolean bargained) {
    }

    private static final Offer FRESH = new Offer(LIST_PRICE_CENTS, false);

    private final ConcurrentHashMap<String, Offer> offers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> cutsGranted = new ConcurrentHashMap<>();

    Offer read(String key) {
        return offers.getOrDefault(key, FRESH);
    }

    /** Writes the row back and records the granted cut in the ledger. */
    void applyCut(String key, Offer before) {
        offers.put(key, new Offer(before.priceCents() - CUT_CENTS, true));
        cutsGranted.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Cuts granted beyond the first for the same user and order: the damage a duplicate did. */
    int doubleApplications() {
        int extra = 0;
        for (Map.Entry<String, AtomicInteger> entry : cutsGranted.entrySet()) {
            extra += Math.max(0, entry.getValue().get() - 1);
        }
        return extra;
    }

    /** How many user+order rows got at least one cut. */
    int rowsCut() {
        return cutsGranted.size();
    }
}
