package io.distlock.redis;

/**
 * The Lua scripts, one per operation, so that each operation is one atomic round trip. Redisson sends them as
 * EVALSHA and loads them on NOSCRIPT (after a restart or failover, or on a new cluster node), so the text is sent
 * once per node. Kept as constants: Redisson caches the SHA-1 per script string.
 *
 * <p>The lock key's value is {@code <token>:<owner>}. Comparing the owner inside the script is what makes release
 * and renew safe against a stale handle: they act only for the owner that holds the key now.
 */
final class RedisScripts {

    /**
     * KEYS: lock key, fence key. ARGV: owner, lease in ms, fence retention in ms.
     *
     * <p>Returns the fencing token (positive) if the owner holds the lock now; otherwise {@code -1 - pttl} (negative)
     * with the holder's remaining lease, or 0 if the holder's key has no expiry (set by something else than us).
     *
     * <p>The token is {@code max(last token + 1, server time in microseconds)}, computed in the same atomic step as
     * the acquisition: the counter makes tokens increase however fast a key changes hands, and the clock makes them
     * increase after the counter was lost (a restart without persistence, a failover to a replica that missed the
     * last writes). {@code %.0f} because Lua numbers are doubles and Redis turns a number argument into a string
     * with only 14 digits; microseconds since 1970 stay exact below 2^53 (until the year 2255).
     *
     * <p>An owner that already holds the key gets its token back instead of a new one, so a re-sent request is
     * harmless.
     *
     * <p>{@code redis.replicate_commands()} comes first because the script writes after {@code TIME}: before Redis
     * 5, scripts were replicated as their text by default, and Redis refused any write after a non-deterministic
     * command ("Write commands not allowed after non deterministic commands"), which would turn every acquisition
     * into an error that looks like an outage. It switches to replicating the writes themselves (the default, and
     * the only mode, since Redis 5 and 7; there the call is a no-op that returns true).
     */
    static final String ACQUIRE = """
            redis.replicate_commands()
            local v = redis.call('GET', KEYS[1])
            if v then
              local sep = string.find(v, ':', 1, true)
              if sep and string.sub(v, sep + 1) == ARGV[1] then
                return tonumber(string.sub(v, 1, sep - 1))
              end
              local ttl = redis.call('PTTL', KEYS[1])
              if ttl < 0 then return 0 end
              return -1 - ttl
            end
            local t = redis.call('TIME')
            local token = tonumber(t[1]) * 1000000 + tonumber(t[2])
            local last = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
            if last >= token then token = last + 1 end
            local s = string.format('%.0f', token)
            redis.call('SET', KEYS[2], s, 'PX', ARGV[3])
            redis.call('SET', KEYS[1], s .. ':' .. ARGV[1], 'PX', ARGV[2])
            return token
            """;

    /**
     * KEYS: lock key. ARGV: owner, release channel. Deletes the key if the owner holds it and publishes the lock key
     * on the channel, so waiters elsewhere try again at once. Returns 1 if released, 0 if the owner did not hold it.
     */
    static final String RELEASE = """
            local v = redis.call('GET', KEYS[1])
            if v then
              local sep = string.find(v, ':', 1, true)
              if sep and string.sub(v, sep + 1) == ARGV[1] then
                redis.call('DEL', KEYS[1])
                redis.call('PUBLISH', ARGV[2], KEYS[1])
                return 1
              end
            end
            return 0
            """;

    /** KEYS: lock key. ARGV: owner, lease in ms. Extends the lease if the owner holds the key; returns 1 or 0. */
    static final String RENEW = """
            local v = redis.call('GET', KEYS[1])
            if v then
              local sep = string.find(v, ':', 1, true)
              if sep and string.sub(v, sep + 1) == ARGV[1] then
                redis.call('PEXPIRE', KEYS[1], ARGV[2])
                return 1
              end
            end
            return 0
            """;

    /**
     * KEYS: lock keys, all in one Cluster slot. ARGV: their owners in the same order, each followed by a newline
     * (which no owner contains: owners are printable ASCII), all in one string, then the lease in ms. Renews each
     * key its owner still holds, as {@link #RENEW} does; returns one character per key, in order: {@code 1}
     * renewed, {@code 0} not held by its owner.
     *
     * <p>Why one string of owners, and one of results, rather than an argument and a reply element per key: the
     * client then encodes two arguments per script instead of 501 and decodes one reply instead of 500 numbers,
     * which at 10,000 held locks is most of the client's renewal work; the server's extra {@code string.find} and
     * {@code string.sub} per key are small next to its {@code GET} and {@code PEXPIRE}.
     */
    static final String RENEW_PACKED = """
            local owners = ARGV[1]
            local lease = ARGV[2]
            local out = {}
            local pos = 1
            for i, key in ipairs(KEYS) do
              local stop = string.find(owners, '\\n', pos, true)
              if not stop then return redis.error_reply('distlock: fewer owners than keys') end
              local owner = string.sub(owners, pos, stop - 1)
              pos = stop + 1
              local r = '0'
              local v = redis.call('GET', key)
              if v then
                local sep = string.find(v, ':', 1, true)
                if sep and string.sub(v, sep + 1) == owner then
                  redis.call('PEXPIRE', key, lease)
                  r = '1'
                end
              end
              out[i] = r
            end
            return table.concat(out)
            """;

    private RedisScripts() {
    }
}
