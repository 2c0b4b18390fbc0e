package io.distlock.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.map.impl.MapEntries;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import com.hazelcast.spi.impl.NodeEngine;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A batch of renewals run by the member that owns their partitions, with synchronous backups: one
 * {@link BackedUpEntryOperation} per partition, invoked locally (so never serialized, see there), answered only once
 * the backups acknowledged. Sent through the member's executor service {@value #EXECUTOR} (Hazelcast's default
 * executor configuration unless one is configured under that name) by clients and by members for the partitions
 * they do not own: a client cannot send a custom operation, and a sent operation loses its backup override.
 *
 * <p>Keys of partitions this member does not own (any more) get no answer: the caller reports them failed and the
 * core renews them again. It runs on the members, so it references nothing but Hazelcast, the JDK and the other
 * member-side classes of this package.
 */
final class MemberRenewal implements Callable<HashMap<String, Long>>, DataSerializable, HazelcastInstanceAware {

    /** The executor service that runs renewals sent to a member. */
    static final String EXECUTOR = "distlock.renewal";

    private String mapName;
    private Map<String, String> owners;
    private long leaseMillis;
    private long retentionMillis;
    private long timeoutMillis;
    private transient HazelcastInstance instance;

    /** For Hazelcast's deserialization only. */
    MemberRenewal() {
    }

    MemberRenewal(String mapName, Map<String, String> owners, long leaseMillis, long retentionMillis,
                  long timeoutMillis) {
        this.mapName = mapName;
        this.owners = owners;
        this.leaseMillis = leaseMillis;
        this.retentionMillis = retentionMillis;
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.instance = instance;
    }

    /** Renews on this member's partitions and answers 1 or 0 per key that got an answer in time. */
    @Override
    public HashMap<String, Long> call() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        NodeEngine engine = ((MapProxyImpl<?, ?>) instance.getMap(mapName)).getNodeEngine();
        HashMap<String, Long> results = new HashMap<>(owners.size() * 2);
        for (EntryCalls.Batch batch : start(engine, mapName, owners, leaseMillis, retentionMillis)) {
            try {
                Object answer = batch.future().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                decode(engine.getSerializationService(), answer, results);
            } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
                // These keys get no answer: failed, renewed again by the core.
            }
        }
        return results;
    }

    /**
     * Invokes one {@link BackedUpEntryOperation} per partition of {@code owners}' keys that this member owns, each
     * completing with {@code MapEntries} (serialized or not) once its synchronous backups answered.
     */
    static List<EntryCalls.Batch> start(NodeEngine engine, String mapName, Map<String, String> owners,
                                        long leaseMillis, long retentionMillis) {
        SerializationService serialization = engine.getSerializationService();
        Member local = engine.getLocalMember();
        Map<Integer, Set<Data>> byPartition = new LinkedHashMap<>();
        Map<Integer, List<String>> keysByPartition = new HashMap<>();
        for (String key : owners.keySet()) {
            Data data = serialization.toData(key);
            int partition = engine.getPartitionService().getPartitionId(data);
            if (!local.getAddress().equals(engine.getPartitionService().getPartitionOwner(partition))) {
                continue;
            }
            byPartition.computeIfAbsent(partition, p -> new LinkedHashSet<>()).add(data);
            keysByPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(key);
        }
        RenewAllProcessor processor = new RenewAllProcessor(owners, leaseMillis, retentionMillis)
                .requireMember(local.getUuid().toString());
        List<EntryCalls.Batch> batches = new ArrayList<>(byPartition.size());
        for (Map.Entry<Integer, Set<Data>> group : byPartition.entrySet()) {
            // One try: a retry after a migration would send the operation to another member, rebuilt there
            // without the synchronous backups (and refused by the processor's member check).
            batches.add(new EntryCalls.Batch(keysByPartition.get(group.getKey()), engine.getOperationService()
                    .createInvocationBuilder(MapService.SERVICE_NAME,
                            new BackedUpEntryOperation(mapName, group.getValue(), processor), group.getKey())
                    .setTryCount(1)
                    .invoke()));
        }
        return batches;
    }

    /** Adds the results of a batch of {@link #start} (or a member's answer to this callable) to {@code results}. */
    @SuppressWarnings("unchecked")
    static <V> void decode(SerializationService serialization, Object answer, Map<String, V> results) {
        Object entries = answer instanceof Data data ? serialization.toObject(data) : answer;
        if (entries instanceof Map<?, ?> map) {
            results.putAll((Map<String, V>) map);
            return;
        }
        for (Map.Entry<Data, Data> entry : ((MapEntries) entries).entries()) {
            results.put(serialization.toObject(entry.getKey()), serialization.toObject(entry.getValue()));
        }
    }

    /** Sends this renewal to {@code member}'s {@value #EXECUTOR}; the future completes with its answer. */
    CompletableFuture<Object> sendTo(HazelcastInstance caller, Member member) {
        CompletableFuture<Object> answer = new CompletableFuture<>();
        caller.getExecutorService(EXECUTOR).submitToMember(this, member, new ExecutionCallback<HashMap<String, Long>>() {
            @Override
            public void onResponse(HashMap<String, Long> response) {
                answer.complete(response);
            }

            @Override
            public void onFailure(Throwable t) {
                answer.completeExceptionally(t);
            }
        });
        return answer;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(mapName);
        out.writeLong(leaseMillis);
        out.writeLong(retentionMillis);
        out.writeLong(timeoutMillis);
        out.writeInt(owners.size());
        for (Map.Entry<String, String> pair : owners.entrySet()) {
            out.writeString(pair.getKey());
            out.writeString(pair.getValue());
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        mapName = in.readString();
        leaseMillis = in.readLong();
        retentionMillis = in.readLong();
        timeoutMillis = in.readLong();
        int size = in.readInt();
        owners = new HashMap<>(Math.max(4, size * 2));
        for (int i = 0; i < size; i++) {
            owners.put(in.readString(), in.readString());
        }
    }
}
