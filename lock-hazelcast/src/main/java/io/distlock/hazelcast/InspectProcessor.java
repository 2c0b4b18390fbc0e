package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.util.Map;

/**
 * Reads one lock for an operator, on the key's partition owner, judging its lease exactly as an acquire there would
 * ({@link LockEntryProcessor.Stored#remainingMillis}: the granting member's monotonic deadline, else cluster time).
 * Returns {@code token|remainingNanos|owner} (the owner last and whole: it may contain {@code '|'}), or null when
 * nobody holds the key. Writes nothing ({@link ReadOnly}). Runs on the members, like {@link LockEntryProcessor}.
 */
final class InspectProcessor implements EntryProcessor<String, String, String>, ReadOnly, DataSerializable,
        HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    private transient HazelcastInstance instance;

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.instance = instance;
    }

    @Override
    public String process(Map.Entry<String, String> entry) {
        String value = entry.getValue();
        if (value == null) {
            return null;
        }
        LockEntryProcessor.Stored stored = LockEntryProcessor.Stored.parse(value);
        if (stored.owner.isEmpty()) {
            return null;
        }
        String me = LockEntryProcessor.uuidOf(instance.getCluster().getLocalMember());
        long nanos;
        if (stored.grantor != null && stored.grantor.equals(me)) {
            nanos = stored.deadline - System.nanoTime();
        } else {
            nanos = (stored.expiresAt - instance.getCluster().getClusterTime()) * 1_000_000L;
        }
        return nanos <= 0 ? null : stored.token + "|" + nanos + "|" + stored.owner;
    }

    @Override
    public EntryProcessor<String, String, String> getBackupProcessor() {
        return null;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // Nothing: the processor carries no parameters.
    }

    @Override
    public void readData(ObjectDataInput in) {
        // Nothing: the processor carries no parameters.
    }
}
