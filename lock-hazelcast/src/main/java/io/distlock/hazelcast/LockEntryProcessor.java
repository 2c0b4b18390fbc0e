package io.distlock.hazelcast;

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
 * <p>The map value is {@code owner|token|expiresAt}: the owner of the lock ({@code ""} when free), its fencing token,
 * and when its lease ends in cluster time (milliseconds). A released lock stays as a tombstone {@code |token|0} and an
 * expired one as it was, each for the retention period (the entry's TTL), so the next token is {@code token + 1}.
 * After the entry is gone (retention over, {@code clear()}, a cluster restart) the next token is
 * {@code clusterTime * 1000}, which is larger than every earlier token as long as the cluster clock did not step back
 * by more than the retention and a key is not taken more than 1000 times per millisecond.
 *
 * <p>The lease is checked against {@code expiresAt}, not left to Hazelcast's expiry (which lags by up to the
 * expiration task period, 5 s by default): a lapsed lease never blocks anyone.
 *
 * <p>Backups replay the value the primary wrote ({@link #getBackupProcessor()}): re-running the decision on the backup
 * would compute a different token from a different clock. A new instance per call: an embedded caller's instance is
 * used as is, and the primary keeps its decision in it for the backup.
 *
 * <p>Results: acquire returns the token (positive) or minus the milliseconds left on the holder's lease; release and
 * renew return 1 when the owner held the lock, else 0.
 */
final class LockEntryProcessor implements EntryProcessor<String, String, Long>, DataSerializable,
        HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    static final byte ACQUIRE = 1;
    static final byte RELEASE = 2;
    static final byte RENEW = 3;
    /** Added to every entry's Hazelcast ttl: see {@link #write}. */
    static final long EXPIRY_SLACK_MILLIS = 2000;
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
        long now = instance.getCluster().getClusterTime();
        String current = entry.getValue(); // null when absent or already expired
        String currentOwner = "";
        long currentToken = 0;
        long expiresAt = 0;
        if (current != null) {
            int first = current.indexOf('|');
            int second = current.indexOf('|', first + 1);
            currentOwner = current.substring(0, first);
            currentToken = Long.parseLong(current.substring(first + 1, second));
            expiresAt = Long.parseLong(current.substring(second + 1));
        }
        boolean held = !currentOwner.isEmpty() && expiresAt > now;
        boolean mine = held && currentOwner.equals(owner);
        switch (kind) {
            case ACQUIRE:
                if (held && !mine) {
                    return -Math.max(1, expiresAt - now);
                }
                if (mine) {
                    // The same handle asking again (a retried call): it already holds the lock.
                    return currentToken;
                }
                long token = Math.max(currentToken + 1, now * 1000);
                return write(entry, owner + '|' + token + '|' + (now + leaseMillis), leaseMillis + retentionMillis,
                        token);
            case RENEW:
                if (!mine) {
                    return 0L;
                }
                return write(entry, owner + '|' + currentToken + '|' + (now + leaseMillis),
                        leaseMillis + retentionMillis, 1L);
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
