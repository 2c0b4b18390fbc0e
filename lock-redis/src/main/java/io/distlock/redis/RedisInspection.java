package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.spi.BoundedAwait;
import io.distlock.spi.LockInspection;
import io.distlock.spi.StoredLock;
import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisClusterMaster;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.cluster.ClusterSlotRange;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link LockInspection} for {@link RedisLockBackend}: {@code read} is one script (GET and PTTL of the lock key),
 * {@code list} one script per page that runs SCAN with MATCH and COUNT on one master and reads the value and PTTL of
 * each key it found, so a page costs one round trip. A Cluster is listed master after master (each holds only its
 * own slots' keys): the cursor names the master by the lowest slot it serves, which survives a reconnect and a
 * failover, and the next master is the one with the next lowest slot.
 *
 * <p>Why the surplus keys in the cursor: SCAN's COUNT is a hint, and one call may return a few more keys than a page
 * may hold; SCAN cannot resume in the middle of a call's answer, so the keys that did not fit travel in the cursor
 * and are read first on the next page. Thread safe.
 */
final class RedisInspection {

    /**
     * KEYS: lock key. Returns {value, pttl} of the lock key, or {false, -2} if it does not exist.
     *
     * <p>The scripts here only read, but are sent as EVALSHA (Redisson's READ_WRITE mode), not EVALSHA_RO: Redis
     * before 7 has no EVALSHA_RO, and the minimal ACL of the README grants {@code evalsha} only. Both go to the
     * master, as every call of the backend does.
     */
    static final String READ = """
            local v = redis.call('GET', KEYS[1])
            if not v then return {false, -2} end
            return {v, redis.call('PTTL', KEYS[1])}
            """;

    /**
     * KEYS: a key of the master to list (routing only). ARGV: SCAN cursor ({@code -} to skip scanning), MATCH
     * pattern, COUNT, how many candidates are enough, most SCAN calls, then keys to read first. Returns the next
     * SCAN cursor ({@code 0} when this master is done) followed by key, value ({@code ''} if gone), pttl per key.
     * The keys are not KEYS because SCAN finds them here; all are on this master, as a script on a Cluster node
     * may only touch.
     */
    static final String SCAN = """
            local out = {'0'}
            local found = {}
            for i = 6, #ARGV do found[#found + 1] = ARGV[i] end
            local cursor = ARGV[1]
            if cursor ~= '-' then
              local enough = tonumber(ARGV[4])
              local calls = tonumber(ARGV[5])
              repeat
                local r = redis.call('SCAN', cursor, 'MATCH', ARGV[2], 'COUNT', ARGV[3])
                cursor = r[1]
                for _, k in ipairs(r[2]) do found[#found + 1] = k end
                calls = calls - 1
              until cursor == '0' or #found >= enough or calls <= 0
              out[1] = cursor
            end
            for _, k in ipairs(found) do
              local v = redis.call('GET', k)
              out[#out + 1] = k
              out[#out + 1] = v or ''
              out[#out + 1] = v and redis.call('PTTL', k) or -2
            end
            return out
            """;

    /** SCAN calls per page at most: each walks about COUNT buckets, so the script stays short on a large keyspace. */
    private static final int SCANS_PER_PAGE = 10;
    private static final String CURSOR_VERSION = "r1";

    private final RedissonClient client;
    private final RScript script;
    private final RedisCalls calls;
    /** A routing key per Cluster slot that was needed, found by trying names until one hashes there. */
    private final Map<Integer, String> routes = new ConcurrentHashMap<>();

    RedisInspection(RedissonClient client, RScript script, RedisCalls calls) {
        this.client = client;
        this.script = script;
        this.calls = calls;
    }

    StoredLock read(String key, long deadlineNanos) {
        String lockKey = RedisKeys.lockKey(key);
        String what = "reading lock '" + key + "'";
        RFuture<List<Object>> future = calls.send(what, () -> script.evalAsync(lockKey, RScript.Mode.READ_WRITE,
                READ, RScript.ReturnType.MULTI, List.of(lockKey)));
        List<Object> reply = calls.awaitReplyUntil(future, what, "", deadlineNanos, BoundedAwait.Interrupts.ABORT);
        if (reply.size() != 2) {
            throw new LockBackendException(what + " on " + calls.description() + " got " + reply.size()
                    + " values instead of 2");
        }
        return stored(key, reply.get(0), reply.get(1), what);
    }

    LockInspection.Page list(String keyPrefix, String cursor, int limit, long deadlineNanos) {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be between 1 and 1000, got " + limit);
        }
        Position given = cursor == null ? null : Position.parse(cursor);
        String what = "listing locks under '" + keyPrefix + "'";
        List<Integer> masters = masters(what, deadlineNanos);
        Position at = given != null ? given : new Position(masters.get(0), "0", List.of());
        String pattern = RedisKeys.lockPattern(keyPrefix);
        List<Object> args = new ArrayList<>();
        args.add(at.scanCursor);
        args.add(pattern);
        args.add(Integer.toString(Math.max(limit, 10)));
        args.add(Integer.toString(limit));
        args.add(Integer.toString(SCANS_PER_PAGE));
        args.addAll(at.pending);
        String routing = route(at.slot);
        RFuture<List<Object>> future = calls.send(what, () -> script.evalAsync(routing, RScript.Mode.READ_WRITE, SCAN,
                RScript.ReturnType.MULTI, List.of(routing), args.toArray()));
        List<Object> reply = calls.awaitReplyUntil(future, what, "", deadlineNanos, BoundedAwait.Interrupts.ABORT);
        if (reply.isEmpty() || (reply.size() - 1) % 3 != 0) {
            throw new LockBackendException(what + " on " + calls.description() + " got a malformed reply of "
                    + reply.size() + " values");
        }
        List<StoredLock> locks = new ArrayList<>();
        List<String> surplus = new ArrayList<>();
        for (int i = 1; i < reply.size(); i += 3) {
            String redisKey = String.valueOf(reply.get(i));
            String key = RedisKeys.keyOfLock(redisKey);
            if (key == null || !key.startsWith(keyPrefix)) {
                continue;
            }
            if (locks.size() == limit) {
                surplus.add(redisKey);
                continue;
            }
            StoredLock lock;
            try {
                lock = stored(key, reply.get(i + 1), reply.get(i + 2), what);
            } catch (LockBackendException e) {
                // A key of our shape with a value that is not ours (written by hand or by something else): one odd
                // key does not make the whole listing fail; read(key) reports it.
                continue;
            }
            if (lock != null) {
                locks.add(lock);
            }
        }
        String scanNext = String.valueOf(reply.get(0));
        Position next;
        if (!surplus.isEmpty()) {
            next = new Position(at.slot, at.scanCursor.equals("-") || scanNext.equals("0") ? "-" : scanNext, surplus);
        } else if (!at.scanCursor.equals("-") && !scanNext.equals("0")) {
            next = new Position(at.slot, scanNext, List.of());
        } else {
            Integer after = masters.stream().filter(s -> s > at.slot).findFirst().orElse(null);
            next = after == null ? null : new Position(after, "0", List.of());
        }
        return new LockInspection.Page(locks, next == null ? null : next.format());
    }

    /** The lock of a value and PTTL as the scripts return them; null if the key is gone or expired. */
    private StoredLock stored(String key, Object value, Object pttl, String what) {
        if (value == null || value instanceof Boolean || value.toString().isEmpty()) {
            return null;
        }
        String v = value.toString();
        int sep = v.indexOf(':');
        long token;
        try {
            token = sep > 0 ? Long.parseLong(v.substring(0, sep)) : -1;
        } catch (NumberFormatException e) {
            token = -1;
        }
        if (token < 0) {
            throw new LockBackendException(what + " on " + calls.description() + " found a value for '" + key
                    + "' that is not '<token>:<owner>': was the key written by something else than distlock?");
        }
        long millis = pttl instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(pttl));
        if (millis == -2) {
            return null;
        }
        // -1: no expiry, which distlock never sets; shown as no lease left rather than as session-bound (-1 ns).
        long nanos = millis < 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(millis);
        return new StoredLock(key, v.substring(sep + 1), token, nanos);
    }

    /**
     * The masters to list, each as the lowest slot it serves, ascending; {@code [0]} for a single server or
     * Sentinel master.
     */
    private List<Integer> masters(String what, long deadlineNanos) {
        if (!client.getConfig().isClusterConfig()) {
            return List.of(0);
        }
        Map<ClusterSlotRange, Set<String>> slots = null;
        LockBackendException failure = null;
        for (RedisClusterMaster master : client.getRedisNodes(RedisNodes.CLUSTER).getMasters()) {
            try {
                slots = calls.awaitReplyUntil(master.clusterSlotsAsync(), what, "", deadlineNanos,
                        BoundedAwait.Interrupts.ABORT);
                break;
            } catch (LockBackendException e) {
                failure = e;
            }
        }
        if (slots == null) {
            throw failure != null ? failure
                    : new LockBackendException(what + " on " + calls.description() + ": no master is known");
        }
        // A range's addresses are its master's and replicas': the same set for every range of one shard, disjoint
        // between shards, so they group the ranges by master whatever order the set has.
        TreeMap<String, Integer> lowest = new TreeMap<>();
        for (Map.Entry<ClusterSlotRange, Set<String>> range : slots.entrySet()) {
            String shard = new java.util.TreeSet<>(range.getValue()).toString();
            lowest.merge(shard, range.getKey().getStartSlot(), Math::min);
        }
        List<Integer> result = new ArrayList<>(new java.util.TreeSet<>(lowest.values()));
        if (result.isEmpty()) {
            throw new LockBackendException(what + " on " + calls.description() + ": the cluster serves no slots");
        }
        return result;
    }

    /** A key in {@code slot}, to send a script to the master that serves it. */
    private String route(int slot) {
        return routes.computeIfAbsent(slot, s -> {
            for (int i = 0; ; i++) {
                String candidate = "distlock:route:{" + i + "}";
                if (RedisKeys.slot(candidate) == s) {
                    return candidate;
                }
            }
        });
    }

    /**
     * Where a listing stands: the master (by its lowest slot), its SCAN cursor ({@code -} once its scan is done) and
     * keys found but not yet returned. Formatted as base64url text, opaque to callers.
     */
    private record Position(int slot, String scanCursor, List<String> pending) {

        String format() {
            StringBuilder text = new StringBuilder(CURSOR_VERSION).append('\n').append(slot).append('\n')
                    .append(scanCursor);
            // Redis keys of this layout never contain a line break.
            pending.forEach(k -> text.append('\n').append(k));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(text.toString()
                    .getBytes(StandardCharsets.UTF_8));
        }

        static Position parse(String cursor) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8)
                        .split("\n", -1);
                if (parts.length < 3 || !parts[0].equals(CURSOR_VERSION)) {
                    throw new IllegalArgumentException("bad version");
                }
                int slot = Integer.parseInt(parts[1]);
                String scan = parts[2];
                if (slot < 0 || slot > 16383 || !(scan.equals("-") || scan.matches("[0-9]{1,20}"))) {
                    throw new IllegalArgumentException("bad position");
                }
                List<String> pending = List.of(parts).subList(3, parts.length);
                for (String k : pending) {
                    if (RedisKeys.keyOfLock(k) == null) {
                        throw new IllegalArgumentException("bad key");
                    }
                }
                return new Position(slot, scan, pending);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + (cursor.length() > 40 ? cursor.substring(0, 40) + "..."
                        : cursor) + "' is not a cursor of a Redis lock listing", e);
            }
        }
    }
}
