package io.distlock.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.impl.MemberImpl;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The whole lock algorithm, run by the member that owns the key's partition, on its partition thread: so each
 * acquire, release and renewal is one atomic step and one round trip. It runs on the members, so this class (and only
 * this class: it references nothing but Hazelcast and the JDK) must be on every member's classpath; embedded members
 * and clients in the same JVM have it anyway.
 *
 * <p>The map value is {@code owner|token|expiresAt|grantor|deadline}: the owner of the lock ({@code ""} when free),
 * its fencing token, when its lease ends in cluster time (milliseconds), the UUID of the member that granted or last
 * renewed it, and when its lease ends on that member's monotonic clock ({@link System#nanoTime()}). A released lock
 * stays as a tombstone {@code |token|0} and an expired one as it was, each for the retention period (the entry's
 * TTL), so the next token follows on from it.
 *
 * <p><b>Lease ends.</b> The member that granted or last renewed a lease judges it by its monotonic deadline; only
 * another member (after a migration or a fail-over) falls back to {@code expiresAt} in cluster time. Cluster time is
 * the local wall clock plus an offset that every master heartbeat resets to {@code masterTime - localTime}, so it
 * steps back by a heartbeat's transit delay after a member was paused and forward again at the next heartbeat: a
 * lease judged by it would end early by that step. The monotonic deadline does not move with either clock.
 *
 * <p><b>Fencing tokens</b> are {@code high << 14 | slot}. {@code slot} is the granting member's cluster join version
 * modulo 2<sup>14</sup> (unique among the members of a cluster, and kept by each side of a split brain, so the two
 * sides of a partition, whose owners of one key are different members, never issue the same token). {@code high} is
 * {@code max(previous high + 1, clusterTime × 64)}: each grant strictly exceeds the previous token of the key on this
 * side of any partition, and after the entry is gone (retention over, {@code clear()}, a cluster restart, a merge
 * that kept the other side's entry) the clock term is larger than every earlier token as long as the cluster clock
 * did not step back by more than the gap and a key was not taken more than 64 times per millisecond on average.
 *
 * <p>The lease is never left to Hazelcast's expiry (which lags by up to the expiration task period, 5 s by default):
 * a lapsed lease never blocks anyone.
 *
 * <p>Backups replay the value the primary wrote ({@link #getBackupProcessor()}): re-running the decision on the backup
 * would compute a different token from a different clock. A new instance per call: an embedded caller's instance is
 * used as is, and the primary keeps its decision in it for the backup.
 *
 * <p>Results: acquire returns the token (positive) or minus the milliseconds left on the holder's lease; release and
 * renew return 1 when the owner held the lock, else 0. Never null.
 */
final class LockEntryProcessor implements EntryProcessor<String, String, Long>, DataSerializable,
        HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    static final byte ACQUIRE = 1;
    static final byte RELEASE = 2;
    static final byte RENEW = 3;
    /** Added to every entry's Hazelcast ttl: see {@link #write}. */
    static final long EXPIRY_SLACK_MILLIS = 2000;
    /** Low bits of a token: the granting member's slot. */
    static final int MEMBER_BITS = 14;
    /** Clock term of a token: cluster milliseconds times this. */
    static final long TICKS_PER_MILLI = 64;
    /** Backup replay: writes {@link #applied} with {@link #appliedTtlMillis}, decides nothing. */
    private static final byte APPLY = 4;

    private byte kind;
    private String owner;
    private long leaseMillis;
    private long retentionMillis;
    /** What the primary wrote, for its backup; null when it changed nothing. */
    private String applied;
    private long appliedTtlMillis;
    private transient HazelcastInstance instance;

    /** For Hazelcast's deserialization only. */
    LockEntryProcessor() {
    }

    private LockEntryProcessor(byte kind, String owner, long leaseMillis, long retentionMillis) {
        this.kind = kind;
        this.owner = owner;
        this.leaseMillis = leaseMillis;
        this.retentionMillis = retentionMillis;
    }

    static LockEntryProcessor acquire(String owner, long leaseMillis, long retentionMillis) {
        return new LockEntryProcessor(ACQUIRE, owner, leaseMillis, retentionMillis);
    }

    static LockEntryProcessor release(String owner, long retentionMillis) {
        return new LockEntryProcessor(RELEASE, owner, 0, retentionMillis);
    }

    static LockEntryProcessor renew(String owner, long leaseMillis, long retentionMillis) {
        return new LockEntryProcessor(RENEW, owner, leaseMillis, retentionMillis);
    }

    /** The last member whose UUID string was asked for, and that string: see {@link #uuidOf}. */
    private static volatile MemberId lastMember;

    private record MemberId(Member member, String uuid) {
    }

    /**
     * {@code member}'s UUID as a string, without formatting it anew on every call (a member in production asks for
     * its own only; test JVMs with several members just format it more often).
     */
    static String uuidOf(Member member) {
        MemberId last = lastMember;
        if (last != null && last.member == member) {
            return last.uuid;
        }
        String uuid = member.getUuid().toString();
        lastMember = new MemberId(member, uuid);
        return uuid;
    }

    /** Whether a map value (as an entry event carries it) is a free lock: released, so waiters may try. */
    static boolean isFree(String value) {
        return value == null || value.startsWith("|");
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.instance = instance;
    }

    @Override
    public Long process(Map.Entry<String, String> e) {
        ExtendedMapEntry<String, String> entry = (ExtendedMapEntry<String, String>) e;
        if (kind == APPLY) {
            entry.setValue(applied, appliedTtlMillis, TimeUnit.MILLISECONDS);
            return null;
        }
        // A retried operation may run this instance again: decide afresh.
        applied = null;
        Member local = instance.getCluster().getLocalMember();
        String me = uuidOf(local);
        long now = instance.getCluster().getClusterTime();
        long nanoNow = System.nanoTime();
        String current = entry.getValue(); // null when absent or already expired
        Stored stored = current == null ? null : Stored.parse(current);
        String currentOwner = stored == null ? "" : stored.owner;
        long currentToken = stored == null ? 0 : stored.token;
        long remainingMillis = stored == null ? 0 : stored.remainingMillis(me, now, nanoNow);
        boolean held = !currentOwner.isEmpty() && remainingMillis > 0;
        boolean mine = held && currentOwner.equals(owner);
        switch (kind) {
            case ACQUIRE:
                if (held && !mine) {
                    return -remainingMillis;
                }
                if (mine) {
                    // The same handle asking again (a retried call): it already holds the lock.
                    return currentToken;
                }
                long high = Math.max((currentToken >>> MEMBER_BITS) + 1, now * TICKS_PER_MILLI);
                long token = high << MEMBER_BITS | slot(local);
                return write(entry, leased(owner, token, now, nanoNow, me), leaseMillis + retentionMillis, token);
            case RENEW:
                if (!mine) {
                    return 0L;
                }
                return write(entry, leased(owner, currentToken, now, nanoNow, me), leaseMillis + retentionMillis,
                        1L);
            case RELEASE:
                if (!currentOwner.equals(owner)) {
                    return 0L;
                }
                // Also a lapsed lease of this owner becomes a tombstone: it frees nothing anyone else holds.
                write(entry, "|" + currentToken + "|0", retentionMillis, 1L);
                return held ? 1L : 0L;
            default:
                throw new IllegalStateException("unknown lock operation " + kind);
        }
    }

    /**
     * One stored value, parsed from the right: the owner is everything before the last four separators, so an owner
     * may itself contain {@code '|'} (owners are any printable ASCII). A value with exactly two separators is a
     * tombstone or an entry of an earlier version ({@code owner|token|expiresAt}, owners without {@code '|'}).
     */
    static final class Stored {
        final String owner;
        final long token;
        final long expiresAt;
        /** Null in the three-field form. */
        final String grantor;
        final long deadline;

        private Stored(String owner, long token, long expiresAt, String grantor, long deadline) {
            this.owner = owner;
            this.token = token;
            this.expiresAt = expiresAt;
            this.grantor = grantor;
            this.deadline = deadline;
        }

        static Stored parse(String value) {
            int d = value.lastIndexOf('|');
            int c = value.lastIndexOf('|', d - 1);
            if (c == value.indexOf('|')) {
                // owner|token|expiresAt
                return new Stored(value.substring(0, c), Long.parseLong(value.substring(c + 1, d)),
                        Long.parseLong(value.substring(d + 1)), null, 0);
            }
            // owner|token|expiresAt|grantor|deadline
            int b = value.lastIndexOf('|', c - 1);
            int a = value.lastIndexOf('|', b - 1);
            return new Stored(value.substring(0, a), Long.parseLong(value.substring(a + 1, b)),
                    Long.parseLong(value.substring(b + 1, c)), value.substring(c + 1, d),
                    Long.parseLong(value.substring(d + 1)));
        }

        /**
         * What is left of the lease, as the grant path judges it: on the member that granted or last renewed it,
         * by its monotonic deadline; anywhere else, in cluster time. At least 1 while any time is left.
         */
        long remainingMillis(String me, long now, long nanoNow) {
            if (owner.isEmpty()) {
                return 0;
            }
            if (grantor != null && grantor.equals(me)) {
                // Granted or renewed here: the monotonic deadline, which no clock step moves.
                long nanosLeft = deadline - nanoNow;
                return nanosLeft <= 0 ? 0 : Math.max(1, nanosLeft / 1_000_000);
            }
            return Math.max(0, expiresAt - now);
        }
    }

    /**
     * The renewal of {@code current} for {@code owner}: the new value, or null if {@code owner} does not hold it (gone,
     * another owner's, or lapsed). Shared with {@link RenewAllProcessor}, so both renew by the same rule.
     */
    static String renewed(String current, String owner, long leaseMillis, String me, long now, long nanoNow) {
        if (current == null) {
            return null;
        }
        Stored stored = Stored.parse(current);
        if (!stored.owner.equals(owner) || stored.remainingMillis(me, now, nanoNow) <= 0) {
            return null;
        }
        return leased(owner, stored.token, now, nanoNow, me, leaseMillis);
    }

    private static String leased(String owner, long token, long now, long nanoNow, String grantor, long leaseMillis) {
        return owner + '|' + token + '|' + (now + leaseMillis) + '|' + grantor + '|'
                + (nanoNow + TimeUnit.MILLISECONDS.toNanos(leaseMillis));
    }

    private String leased(String owner, long token, long now, long nanoNow, String grantor) {
        return leased(owner, token, now, nanoNow, grantor, leaseMillis);
    }

    /**
     * This member's token slot: its join version (unique among a cluster's members; a member that joins again, after
     * a restart or a merge, gets a new one), or a hash of its UUID where the implementation does not expose it.
     */
    static long slot(Member member) {
        int version = member instanceof MemberImpl impl ? impl.getMemberListJoinVersion() : -1;
        int basis = version >= 0 ? version : member.getUuid().hashCode();
        return basis & ((1 << MEMBER_BITS) - 1);
    }

    private Long write(ExtendedMapEntry<String, String> entry, String value, long ttlMillis, long result) {
        applied = value;
        // Hazelcast 5 keeps expiry times in whole seconds, truncated, on the member's own clock: without the slack a
        // held lock's entry could vanish up to a second before lease + retention, i.e. before the lease ends when the
        // retention is short.
        appliedTtlMillis = ttlMillis + EXPIRY_SLACK_MILLIS;
        // setValue(value) alone would reset the TTL to the map's default (forever unless configured).
        entry.setValue(value, appliedTtlMillis, TimeUnit.MILLISECONDS);
        return result;
    }

    /** Called on the primary after {@link #process}: the backup writes what the primary wrote, or nothing. */
    @Override
    public EntryProcessor<String, String, Long> getBackupProcessor() {
        if (applied == null) {
            return null;
        }
        LockEntryProcessor backup = new LockEntryProcessor(APPLY, null, 0, 0);
        backup.applied = applied;
        backup.appliedTtlMillis = appliedTtlMillis;
        return backup;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByte(kind);
        out.writeString(owner);
        out.writeLong(leaseMillis);
        out.writeLong(retentionMillis);
        out.writeString(applied);
        out.writeLong(appliedTtlMillis);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        kind = in.readByte();
        owner = in.readString();
        leaseMillis = in.readLong();
        retentionMillis = in.readLong();
        applied = in.readString();
        appliedTtlMillis = in.readLong();
    }
}
