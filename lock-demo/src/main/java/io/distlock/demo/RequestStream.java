package io.distlock.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The traffic both runs replay: groups of identical requests ("cut the price for this user on this order") that
 * arrive at the same moment, the first from the client's click, the others from a double click or a client retry.
 * Generated once from a seed, so the run without a lock and the run with distlock see exactly the same traffic.
 *
 * <p>Duplicates land on a different replica than the original most of the time (a load balancer spreads them), and
 * on the same replica sometimes (a sticky session, a retry on the same connection). Every request of a group gets a
 * small random arrival offset, so that the click that wins is not always the first one generated.
 */
final class RequestStream {

    /** How likely a duplicate lands on the same replica as the group's first request, when there is a choice. */
    static final double SAME_REPLICA_SHARE = 0.25;
    /** Duplicates arrive within this window of each other: "the same moment", as double clicks do. */
    static final long MAX_ARRIVAL_OFFSET_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    static final long MIN_WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    static final long MAX_WORK_NANOS = TimeUnit.MILLISECONDS.toNanos(3);
    private static final int USERS = 500;

    /**
     * One request.
     *
     * @param group the index of its group in {@link #groups()}
     * @param user the user asking for the cut
     * @param order the order whose price is cut
     * @param replica the replica that receives it
     * @param duplicate whether it repeats an earlier request of its group
     * @param arrivalOffsetNanos how long after the group's moment it arrives
     * @param workNanos how long the business work takes (pricing rules, fraud checks) between read and write
     */
    record Request(int group, String user, String order, int replica, boolean duplicate, long arrivalOffsetNanos,
                   long workNanos) {

        /** The lock key, as a service would write it. */
        String lockKey() {
            return "bargain:" + user + ":" + order;
        }

        /** The row the service reads and writes. */
        String storeKey() {
            return user + ":" + order;
        }
    }

    /** Requests that arrive together; the first is the original. */
    record Group(int index, List<Request> requests) {
    }

    private final List<Group> groups;
    private final int requests;
    private final int duplicates;
    private final int crossReplicaDuplicates;

    private RequestStream(List<Group> groups) {
        this.groups = List.copyOf(groups);
        int total = 0;
        int dups = 0;
        int cross = 0;
        for (Group group : groups) {
            int first = group.requests().get(0).replica();
            for (Request request : group.requests()) {
                total++;
                if (request.duplicate()) {
                    dups++;
                    if (request.replica() != first) {
                        cross++;
                    }
                }
            }
        }
        this.requests = total;
        this.duplicates = dups;
        this.crossReplicaDuplicates = cross;
    }

    /**
     * Generates {@code requests} requests of which {@code round(requests * duplicateRate)} are duplicates, spread so
     * that as many originals as possible get one duplicate before any gets a second.
     *
     * @param workScale 1 for the business work of the story, 0 for none (warm-up)
     */
    static RequestStream generate(int requests, double duplicateRate, int replicas, long seed, double workScale) {
        if (requests < 1 || replicas < 1 || !(duplicateRate >= 0 && duplicateRate < 1)) {
            throw new IllegalArgumentException("requests " + requests + ", replicas " + replicas
                    + ", duplicate rate " + duplicateRate + " out of range");
        }
        SplittableRandom random = new SplittableRandom(seed);
        int duplicates = (int) Math.round(requests * duplicateRate);
        int originals = Math.max(1, requests - duplicates);
        duplicates = requests - originals;
        // Per-run tag: orders are fresh every run, so a shared backend never sees a key of an earlier run.
        String tag = Long.toString(random.nextLong() >>> 1, 36);
        tag = tag.substring(0, Math.min(6, tag.length()));

        int[] extra = new int[originals];
        List<Integer> order = new ArrayList<>(originals);
        for (int i = 0; i < originals; i++) {
            order.add(i);
        }
        for (int assigned = 0; assigned < duplicates; ) {
            Collections.shuffle(order, new java.util.Random(random.nextLong()));
            for (int i = 0; i < originals && assigned < duplicates; i++, assigned++) {
                extra[order.get(i)]++;
            }
        }

        List<Group> groups = new ArrayList<>(originals);
        for (int g = 0; g < originals; g++) {
            String user = "u" + random.nextInt(USERS);
            String orderId = "o-" + tag + "-" + g;
            int home = random.nextInt(replicas);
            List<Request> members = new ArrayList<>(1 + extra[g]);
            members.add(request(random, g, user, orderId, home, false, workScale));
            for (int d = 0; d < extra[g]; d++) {
                int replica = home;
                if (replicas > 1 && random.nextDouble() >= SAME_REPLICA_SHARE) {
                    replica = (home + 1 + random.nextInt(replicas - 1)) % replicas;
                }
                members.add(request(random, g, user, orderId, replica, true, workScale));
            }
            groups.add(new Group(g, List.copyOf(members)));
        }
        return new RequestStream(groups);
    }

    private static Request request(SplittableRandom random, int group, String user, String order, int replica,
                                   boolean duplicate, double workScale) {
        long offset = random.nextLong(MAX_ARRIVAL_OFFSET_NANOS + 1);
        long work = (long) (workScale * random.nextLong(MIN_WORK_NANOS, MAX_WORK_NANOS + 1));
        return new Request(group, user, order, replica, duplicate, offset, work);
    }

    List<Group> groups() {
        return groups;
    }

    int requests() {
        return requests;
    }

    int duplicates() {
        return duplicates;
    }

    int crossReplicaDuplicates() {
        return crossReplicaDuplicates;
    }

    int sameReplicaDuplicates() {
        return duplicates - crossReplicaDuplicates;
    }
}
