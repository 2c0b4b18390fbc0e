package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The renewal of many locks in one multi-key call ({@code executeOnKeys}): for each key, the same rule as
 * {@link LockEntryProcessor}'s renew (owner matches and the lease has not lapsed, judged on the granting member's
 * monotonic clock), returning 1 when renewed and 0 when the owner does not hold the key. It runs on the members, so
 * like {@link LockEntryProcessor} it references nothing but Hazelcast, the JDK and that class.
 *
 * <p><b>One instance, many partitions.</b> Hazelcast runs a multi-key call as one operation per partition, and every
 * operation of a member uses the <em>same</em> processor instance (the operations of one call share their factory's
 * processor), concurrently on that member's partition threads, and asks it for its backup processor right after
 * processing its own partition's keys, on the same thread. So what a partition wrote is recorded per thread, and
 * the backup processor of a partition carries exactly the values its keys got: backups replay, they never decide
 * again with another clock.
 */
final class RenewAllProcessor implements EntryProcessor<String, String, Long>, DataSerializable,
        HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    /** Key to owner; null in a backup processor. */
    private Map<String, String> owners;
    private long leaseMillis;
    private long ttlMillis;
    /** Key to the value its primary wrote; set in a backup processor only. */
    private Map<String, String> applied;
    /** The UUID of the only member that may run this renewal (see {@link #requireMember}); null: any. */
    private String requiredMember;
    private transient HazelcastInstance instance;
    /** Per partition thread: what the partition being processed on it wrote; see the class comment. */
    private transient Map<Thread, Written> written;

    /** For Hazelcast's deserialization only. */
    RenewAllProcessor() {
    }

    RenewAllProcessor(Map<String, String> owners, long leaseMillis, long retentionMillis) {
        this.owners = owners;
        this.leaseMillis = leaseMillis;
        this.ttlMillis = leaseMillis + retentionMillis + LockEntryProcessor.EXPIRY_SLACK_MILLIS;
    }

    private RenewAllProcessor(Map<String, String> applied, long ttlMillis) {
        this.applied = applied;
        this.ttlMillis = ttlMillis;
    }

    /**
     * Lets only the member {@code uuid} renew with this processor: any other member answers nothing for its keys
     * (the caller reports them failed), rather than renew under an operation rebuilt without synchronous backups.
     */
    RenewAllProcessor requireMember(String uuid) {
        this.requiredMember = uuid;
        return this;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.instance = instance;
    }

    @Override
    public Long process(Map.Entry<String, String> e) {
        ExtendedMapEntry<String, String> entry = (ExtendedMapEntry<String, String>) e;
        if (applied != null) {
            String value = applied.get(entry.getKey());
            if (value != null) {
                entry.setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
            }
            return null;
        }
        String owner = owners.get(entry.getKey());
        if (owner == null) {
            return 0L;
        }
        String me = LockEntryProcessor.uuidOf(instance.getCluster().getLocalMember());
        if (requiredMember != null && !requiredMember.equals(me)) {
            return null;
        }
        String value = LockEntryProcessor.renewed(entry.getValue(), owner, leaseMillis, me,
                instance.getCluster().getClusterTime(), System.nanoTime());
        Written mine = written().computeIfAbsent(Thread.currentThread(), t -> new Written());
        if (mine.taken) {
            // The first key of the next partition on this thread.
            mine.values.clear();
            mine.taken = false;
        }
        if (value == null) {
            return 0L;
        }
        entry.setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
        mine.values.put(entry.getKey(), value);
        return 1L;
    }

    private synchronized Map<Thread, Written> written() {
        if (written == null) {
            written = new ConcurrentHashMap<>();
        }
        return written;
    }

    /** Called on the partition thread after its keys: the values this partition wrote, for its backup. */
    @Override
    public EntryProcessor<String, String, Long> getBackupProcessor() {
        if (applied != null) {
            return null;
        }
        Written mine = written().get(Thread.currentThread());
        if (mine == null) {
            return null;
        }
        // Asked twice per partition (whether to back up, then for the backup); the next key processed starts anew.
        mine.taken = true;
        return mine.values.isEmpty() ? null : new RenewAllProcessor(new HashMap<>(mine.values), ttlMillis);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        Map<String, String> pairs = applied != null ? applied : owners;
        out.writeBoolean(applied != null);
        out.writeLong(leaseMillis);
        out.writeLong(ttlMillis);
        out.writeString(requiredMember);
        out.writeInt(pairs.size());
        for (Map.Entry<String, String> pair : pairs.entrySet()) {
            out.writeString(pair.getKey());
            out.writeString(pair.getValue());
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        boolean backup = in.readBoolean();
        leaseMillis = in.readLong();
        ttlMillis = in.readLong();
        requiredMember = in.readString();
        int size = in.readInt();
        Map<String, String> pairs = new HashMap<>(Math.max(4, size * 2));
        for (int i = 0; i < size; i++) {
            pairs.put(in.readString(), in.readString());
        }
        if (backup) {
            applied = pairs;
        } else {
            owners = pairs;
        }
    }

    /** One partition thread's record; touched by that thread only. */
    private static final class Written {
        final Map<String, String> values = new HashMap<>();
        boolean taken;
    }
}
