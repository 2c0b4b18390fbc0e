package io.distlock.hazelcast;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.impl.operation.MultipleEntryOperation;

import java.util.Set;

/**
 * Hazelcast's multi-key entry operation with the map's <em>synchronous</em> backups: the invocation completes only
 * after the backups acknowledged the values the primary wrote. {@code MultipleEntryOperation} itself reports no
 * synchronous backup and all of them as asynchronous (read in the 5.7.0 bytecode), which would let a holder believe a
 * renewed lease that a promoted backup never saw.
 *
 * <p>Only ever invoked on the member itself ({@link MemberRenewal}), never sent: a serialized operation is rebuilt on
 * the receiver by its factory id, as a plain {@code MultipleEntryOperation}, with asynchronous backups again.
 * {@link RenewAllProcessor#requireMember} makes a run on any other member fail instead of renew.
 */
final class BackedUpEntryOperation extends MultipleEntryOperation {

    BackedUpEntryOperation(String mapName, Set<Data> keys, EntryProcessor<?, ?, ?> processor) {
        super(mapName, keys, processor);
    }

    @Override
    public int getSyncBackupCount() {
        return mapContainer.getBackupCount();
    }

    @Override
    public int getAsyncBackupCount() {
        return mapContainer.getAsyncBackupCount();
    }
}
