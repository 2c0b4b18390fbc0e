package io.distlock.hazelcast;

import com.hazelcast.client.impl.clientside.HazelcastClientInstance;
import com.hazelcast.client.impl.protocol.ClientMessage;
import com.hazelcast.client.impl.protocol.codec.MapExecuteOnKeyCodec;
import com.hazelcast.client.impl.protocol.codec.MapExecuteOnKeysCodec;
import com.hazelcast.client.impl.proxy.ClientMapProxy;
import com.hazelcast.client.impl.spi.ClientContext;
import com.hazelcast.client.impl.spi.impl.ClientInvocation;
import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.SerializationService;
import com.hazelcast.internal.util.ThreadUtil;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.map.impl.MapEntries;
import com.hazelcast.map.impl.MapService;
import com.hazelcast.map.impl.operation.MultipleEntryOperation;
import com.hazelcast.map.impl.proxy.MapProxyImpl;
import com.hazelcast.spi.impl.NodeEngine;
import com.hazelcast.spi.impl.operationexecutor.OperationHostileThread;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import io.distlock.LockBackendException;
import io.distlock.spi.BoundedAwait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;

/**
 * Sends one entry processor to the owner of its key's partition and reads the answer, so that the caller can wait for
 * it with its own deadline <em>and</em> without a thread hop.
 *
 * <p>Why not just {@code submitToKey(..).get(timeout)}: Hazelcast wraps the invocation's future in a
 * {@code DelegatingCompletableFuture}, whose constructor chains a {@code whenCompleteAsync} on the default async
 * executor (the common {@code ForkJoinPool}). Every answer therefore also wakes a pool thread, even when nobody uses
 * the wrapper's completion. Measured on one member on 2 cores: a no-op processor cost 65–80 µs p50 that way against
 * 7 µs through the synchronous {@code executeOnKey}, and about 100 µs against 68 µs through a client. The synchronous
 * {@code executeOnKey} waits on the raw invocation future ({@code joinInternal()}), but without a bound other than
 * Hazelcast's call timeout (60 s on members, the invocation timeout on clients), which the operation timeout must
 * not depend on.
 *
 * <p>So this does what {@code executeOnKey} does up to the wait, and returns the raw invocation future, on which
 * {@code get(timeout)} parks the caller until the thread that receives the answer unparks it:
 * <ul>
 *   <li>on a member, {@code MapProxyImpl.executeOnKeyInternal} (the future's value is the serialized answer);</li>
 *   <li>on a client, a {@code ClientInvocation} of the {@code MapExecuteOnKey} message, as {@code executeOnKey}
 *       sends it (the future's value is the response message).</li>
 * </ul>
 * Both are Hazelcast internals (public classes, checked against 5.7.0). When they are missing or the map proxy is of
 * another kind (a near-cached map, a future Hazelcast version), the public {@code submitToKey} is used instead, which
 * is correct, only slower.
 *
 * <p>Every call returns or throws {@link LockBackendException} within the timeout. Thread safe.
 */
abstract class EntryCalls {

    private static final Logger log = LoggerFactory.getLogger(EntryCalls.class);
    /** Runs a callback on the completing thread. */
    private static final Executor INLINE = Runnable::run;

    final String mapName;
    private final Duration timeout;
    private final long timeoutNanos;

    private EntryCalls(String mapName, Duration timeout) {
        this.mapName = mapName;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
    }

    /** The fastest way available for {@code map}'s kind of proxy, with calls bounded by {@code timeout}. */
    static EntryCalls of(IMap<String, ?> map, Duration timeout) {
        try {
            if (map instanceof MapProxyImpl<?, ?> member) {
                return new MemberCalls(member, timeout);
            }
            if (map.getClass() == ClientMapProxy.class) {
                // Exactly this class: a near-cached client map must also invalidate its near cache.
                return new ClientCalls((ClientMapProxy<?, ?>) map, timeout);
            }
        } catch (LinkageError | RuntimeException e) {
            // Another Hazelcast version whose internals differ: the public API works too, only slower.
            log.warn("the direct entry processor calls are not available for map '{}' with this Hazelcast "
                    + "version; using submitToKey, which costs a thread hop per call", map.getName(), e);
        }
        return new PublicCalls(map, timeout);
    }

    /**
     * Runs {@code processor} on {@code key}'s entry and returns its result, which may be null. {@code uninterruptible}
     * calls keep waiting when the thread is interrupted and restore its flag afterwards.
     *
     * @param what for messages, e.g. {@code "releasing"}
     * @throws LockBackendException on no answer within the timeout, interruption, or any failure
     */
    final Object execute(String what, String key, EntryProcessor<String, ?, ?> processor, boolean uninterruptible) {
        return execute(what, key, processor, uninterruptible, System.nanoTime() + timeoutNanos);
    }

    /** As {@link #execute(String, String, EntryProcessor, boolean)}, giving up by {@code deadline} (nanoTime). */
    final Object execute(String what, String key, EntryProcessor<String, ?, ?> processor, boolean uninterruptible,
                         long deadline) {
        Class<?> processorClass = processor.getClass();
        CompletableFuture<?> future;
        try {
            future = send(key, processor);
        } catch (RuntimeException e) {
            throw failure(what, key, processorClass, e);
        }
        Object answer = BoundedAwait.until(future, deadline,
                uninterruptible ? BoundedAwait.Interrupts.FINISH : BoundedAwait.Interrupts.ABORT,
                new BoundedAwait.Failures() {
                    @Override
                    public LockBackendException timedOut(TimeoutException e) {
                        return new LockBackendException(what + " '" + key + "' in hazelcast map '" + mapName
                                + "' got no answer in time (operation timeout " + timeout + ")", e);
                    }

                    @Override
                    public LockBackendException interrupted(InterruptedException e) {
                        return new LockBackendException(what + " '" + key + "' in hazelcast map '" + mapName
                                + "' was interrupted", e);
                    }

                    @Override
                    public LockBackendException failed(Throwable cause) {
                        return failure(what, key, processorClass, cause);
                    }
                });
        try {
            return read(answer);
        } catch (RuntimeException e) {
            throw failure(what, key, processorClass, e);
        }
    }

    /**
     * As {@link #execute}, for operations that always answer: a null result (a proxy or a member of another version
     * answering nothing) is a {@link LockBackendException}, never read as "held" or "not written".
     */
    final Object executeForResult(String what, String key, EntryProcessor<String, ?, ?> processor,
                                  boolean uninterruptible) {
        return executeForResult(what, key, processor, uninterruptible, System.nanoTime() + timeoutNanos);
    }

    /** As {@link #executeForResult(String, String, EntryProcessor, boolean)}, giving up by {@code deadline}. */
    final Object executeForResult(String what, String key, EntryProcessor<String, ?, ?> processor,
                                  boolean uninterruptible, long deadline) {
        Object result = execute(what, key, processor, uninterruptible, deadline);
        if (result == null) {
            throw new LockBackendException(what + " '" + key + "' in hazelcast map '" + mapName + "' got an empty "
                    + "answer (null) from the cluster; the members may run another version of "
                    + processor.getClass().getName());
        }
        return result;
    }

    /**
     * As {@link #executeForResult(String, String, EntryProcessor, boolean, long)}, without blocking: the stage
     * completes with the result, or exceptionally with {@link LockBackendException} (failure, null answer, or no
     * answer by {@code deadline}, which {@code deadlines} enforces).
     *
     * <p>The answer is handled on the thread that completes the invocation (Hazelcast's own non-async callbacks go
     * through the common pool: the hop this class avoids), except on a member's operation thread, which runs the
     * callbacks of calls answered locally: what the caller chains to the stage must not run there (a blocking map
     * call from a partition thread fails or deadlocks), so those answers go to the common pool, as Hazelcast does.
     */
    final CompletableFuture<Object> executeForResultAsync(String what, String key,
                                                          EntryProcessor<String, ?, ?> processor, long deadline,
                                                          Deadlines deadlines) {
        Class<?> processorClass = processor.getClass();
        CompletableFuture<Object> result = new CompletableFuture<>();
        CompletableFuture<?> future;
        Future<?> expiry;
        try {
            future = send(key, processor);
            expiry = deadlines.at(deadline, () -> result.completeExceptionally(new LockBackendException(what + " '"
                    + key + "' in hazelcast map '" + mapName + "' got no answer in time (operation timeout "
                    + timeout + ")")));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(failure(what, key, processorClass, e));
        }
        future.whenCompleteAsync((answer, error) -> {
            expiry.cancel(false);
            if (result.isDone()) {
                return;
            }
            if (Thread.currentThread() instanceof OperationHostileThread) {
                ForkJoinPool.commonPool().execute(() -> deliver(what, key, processorClass, answer, error, result));
            } else {
                deliver(what, key, processorClass, answer, error, result);
            }
        }, INLINE);
        return result;
    }

    private void deliver(String what, String key, Class<?> processorClass, Object answer, Throwable error,
                         CompletableFuture<Object> result) {
        if (error != null) {
            while ((error instanceof CompletionException || error instanceof ExecutionException)
                    && error.getCause() != null) {
                error = error.getCause();
            }
            result.completeExceptionally(error instanceof LockBackendException ? error
                    : failure(what, key, processorClass, error));
            return;
        }
        try {
            Object value = read(answer);
            if (value == null) {
                result.completeExceptionally(new LockBackendException(what + " '" + key + "' in hazelcast map '"
                        + mapName + "' got an empty answer (null) from the cluster; the members may run another "
                        + "version of " + processorClass.getName()));
            } else {
                result.complete(value);
            }
        } catch (RuntimeException e) {
            result.completeExceptionally(failure(what, key, processorClass, e));
        }
    }

    /**
     * Runs {@code processor} on every key of {@code keys} with one call per partition owner (where this kind of proxy
     * allows it; otherwise one multi-key call), all sent at once, and waits for each until {@code deadline}. Never
     * throws for a failed call: its keys get the failure in {@code failures} instead, so that one member's outage
     * does not fail the keys of the others.
     *
     * @return the result per key that got one; a key with neither a result nor a failure got no answer
     */
    final Map<String, Object> executeOnKeys(String what, Set<String> keys, EntryProcessor<String, ?, ?> processor,
                                            long deadline, Map<String, Throwable> failures) {
        Map<String, Object> results = new HashMap<>(keys.size() * 2);
        List<Batch> batches;
        try {
            batches = sendAll(keys, processor);
        } catch (RuntimeException e) {
            LockBackendException failure = failure(what, keys.size() + " keys", processor.getClass(), e);
            keys.forEach(key -> failures.put(key, failure));
            return results;
        }
        awaitAll(what, batches, processor.getClass(), deadline, results, failures);
        return results;
    }

    /**
     * Whether {@link #renewOnKeys} is available: renewals with synchronous backups, run by the partition owners
     * ({@link MemberRenewal}). Without it a batch must be renewed lock by lock.
     */
    boolean backedUpRenewals() {
        return false;
    }

    /**
     * Renews {@code owners}' keys (key to owner) with {@link MemberRenewal}: each partition owner runs the renewals of
     * its keys with synchronous backups, so an answer means the backups hold the renewed leases. Failures as in
     * {@link #executeOnKeys}.
     */
    final Map<String, Object> renewOnKeys(Map<String, String> owners, long leaseMillis, long retentionMillis,
                                          long deadline, Map<String, Throwable> failures) {
        Map<String, Object> results = new HashMap<>(owners.size() * 2);
        List<Batch> batches;
        try {
            // The members give up a quarter earlier, so that what they renewed reaches the caller in time when
            // some partition of theirs does not answer.
            batches = sendRenewals(owners, leaseMillis, retentionMillis,
                    Math.max(1, (deadline - System.nanoTime()) / 1_000_000 * 3 / 4));
        } catch (RuntimeException e) {
            LockBackendException failure = failure("renewing", owners.size() + " keys", MemberRenewal.class, e);
            owners.keySet().forEach(key -> failures.put(key, failure));
            return results;
        }
        awaitAll("renewing", batches, MemberRenewal.class, deadline, results, failures);
        return results;
    }

    /** Sends the renewals of {@link #renewOnKeys}; the futures complete with answers for {@link #readAll}. */
    List<Batch> sendRenewals(Map<String, String> owners, long leaseMillis, long retentionMillis, long timeoutMillis) {
        throw new UnsupportedOperationException("no renewals with synchronous backups through the public API");
    }

    /** Groups {@code owners} by the UUID of their partition's owner member (null: not known yet). */
    static Map<UUID, Map<String, String>> byOwner(Map<String, String> owners,
                                                  java.util.function.Function<String, UUID> ownerOf) {
        Map<UUID, Map<String, String>> groups = new LinkedHashMap<>();
        for (Map.Entry<String, String> pair : owners.entrySet()) {
            groups.computeIfAbsent(ownerOf.apply(pair.getKey()), o -> new HashMap<>())
                    .put(pair.getKey(), pair.getValue());
        }
        return groups;
    }

    private void awaitAll(String what, List<Batch> batches, Class<?> processorClass, long deadline,
                          Map<String, Object> results, Map<String, Throwable> failures) {
        for (Batch batch : batches) {
            String which = batch.keys.size() + " keys";
            try {
                Object answer = BoundedAwait.until(batch.future, deadline, BoundedAwait.Interrupts.ABORT,
                        new BoundedAwait.Failures() {
                            @Override
                            public LockBackendException timedOut(TimeoutException e) {
                                return new LockBackendException(what + " " + which + " in hazelcast map '"
                                        + mapName + "' got no answer in time", e);
                            }

                            @Override
                            public LockBackendException interrupted(InterruptedException e) {
                                return new LockBackendException(what + " " + which + " in hazelcast map '"
                                        + mapName + "' was interrupted", e);
                            }

                            @Override
                            public LockBackendException failed(Throwable cause) {
                                return failure(what, which, processorClass, cause);
                            }
                        });
                readAll(answer, results);
            } catch (LockBackendException e) {
                batch.keys.forEach(key -> failures.put(key, e));
            } catch (RuntimeException e) {
                LockBackendException failure = failure(what, which, processorClass, e);
                batch.keys.forEach(key -> failures.put(key, failure));
            }
        }
    }

    /** One multi-key call in flight: its keys and the future of its raw answer for {@link #readAll}. */
    record Batch(Collection<String> keys, CompletableFuture<?> future) {
    }

    /** Sends {@code processor} for {@code keys}: one call per partition owner, or one for all. */
    abstract List<Batch> sendAll(Set<String> keys, EntryProcessor<String, ?, ?> processor);

    /** Adds the results of a raw answer of {@link #sendAll} to {@code results}, by key. */
    abstract void readAll(Object answer, Map<String, Object> results);

    /** Loads {@code classes} (a class literal resolves its class): missing ones throw {@link LinkageError}. */
    private static void requireClasses(Class<?>... classes) {
        for (Class<?> type : classes) {
            type.getName();
        }
    }

    /** Sends {@code processor} for {@code key}; the future completes with a raw answer for {@link #read}. */
    abstract CompletableFuture<?> send(String key, EntryProcessor<String, ?, ?> processor);

    /** The processor's result from a raw answer of {@link #send}. */
    abstract Object read(Object answer);

    private LockBackendException failure(String what, String key, Class<?> processorClass, Throwable cause) {
        if (missing(processorClass, cause)) {
            return new LockBackendException(what + " '" + key + "' failed: the members of the hazelcast cluster "
                    + "cannot load " + processorClass.getName() + "; put the lock-hazelcast jar on every "
                    + "member's classpath (see the lock-hazelcast README)", cause);
        }
        return new LockBackendException(what + " '" + key + "' in hazelcast map '" + mapName + "' failed: "
                + cause, cause);
    }

    private static boolean missing(Class<?> processorClass, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof HazelcastSerializationException || t instanceof ClassNotFoundException) {
                if (String.valueOf(t.getMessage()).contains(processorClass.getName())) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** {@code submitToKey}: public API, one more thread hop per answer. */
    private static final class PublicCalls extends EntryCalls {
        private final IMap<String, ?> map;

        PublicCalls(IMap<String, ?> map, Duration timeout) {
            super(map.getName(), timeout);
            this.map = map;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<?> send(String key, EntryProcessor<String, ?, ?> processor) {
            return ((IMap) map).submitToKey(key, processor).toCompletableFuture();
        }

        @Override
        Object read(Object answer) {
            return answer;
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<Batch> sendAll(Set<String> keys, EntryProcessor<String, ?, ?> processor) {
            return List.of(new Batch(keys, ((IMap) map).submitToKeys(keys, processor).toCompletableFuture()));
        }

        @Override
        @SuppressWarnings("unchecked")
        void readAll(Object answer, Map<String, Object> results) {
            results.putAll((Map<String, Object>) answer);
        }
    }

    /** On a member: the invocation future of what {@code executeOnKey} sends. */
    private static final class MemberCalls extends EntryCalls {
        private final MapProxyImpl<?, ?> map;
        private final SerializationService serialization;

        MemberCalls(MapProxyImpl<?, ?> map, Duration timeout) {
            super(map.getName(), timeout);
            this.map = map;
            this.serialization = map.getNodeEngine().getSerializationService();
            // Resolved now, so that a Hazelcast version without them falls back to the public calls here.
            requireClasses(MultipleEntryOperation.class, MapEntries.class, BackedUpEntryOperation.class);
        }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        CompletableFuture<?> send(String key, EntryProcessor<String, ?, ?> processor) {
            // The member's operation injects its HazelcastInstance into the processor (ManagedContext), as for
            // executeOnKey.
            return ((MapProxyImpl) map).executeOnKeyInternal(key, processor);
        }

        @Override
        Object read(Object answer) {
            return answer instanceof Data data ? serialization.toObject(data) : answer;
        }

        /**
         * One multi-key operation per partition, sent straight to its owner, carrying only that partition's keys.
         * {@code submitToKeys} instead sends one operation per member, which runs one per partition there, and every
         * one of those (and its backup, which Hazelcast sends to the backup member) carries the keys of the whole
         * call; it also completes through the common pool. The same number of partition operations, without the
         * per-member one, and backups of the partition's own keys only.
         */
        @Override
        List<Batch> sendAll(Set<String> keys, EntryProcessor<String, ?, ?> processor) {
            NodeEngine engine = map.getNodeEngine();
            Map<Integer, Set<Data>> byPartition = new LinkedHashMap<>();
            Map<Integer, List<String>> keysByPartition = new HashMap<>();
            for (String key : keys) {
                Data data = serialization.toData(key);
                int partition = engine.getPartitionService().getPartitionId(data);
                byPartition.computeIfAbsent(partition, p -> new LinkedHashSet<>()).add(data);
                keysByPartition.computeIfAbsent(partition, p -> new ArrayList<>()).add(key);
            }
            List<Batch> batches = new ArrayList<>(byPartition.size());
            for (Map.Entry<Integer, Set<Data>> group : byPartition.entrySet()) {
                // The operation injects the member's instance into the processor (ManagedContext), as for
                // submitToKeys.
                batches.add(new Batch(keysByPartition.get(group.getKey()), engine.getOperationService()
                        .invokeOnPartitionAsync(MapService.SERVICE_NAME,
                                new MultipleEntryOperation(mapName, group.getValue(), processor), group.getKey())));
            }
            return batches;
        }

        @Override
        void readAll(Object answer, Map<String, Object> results) {
            MemberRenewal.decode(serialization, answer, results);
        }

        @Override
        boolean backedUpRenewals() {
            return true;
        }

        /** This member's partitions renewed here; every other owner's through its executor. */
        @Override
        List<Batch> sendRenewals(Map<String, String> owners, long leaseMillis, long retentionMillis,
                                 long timeoutMillis) {
            NodeEngine engine = map.getNodeEngine();
            Map<UUID, Map<String, String>> groups = byOwner(owners, key -> {
                com.hazelcast.cluster.Address address = engine.getPartitionService().getPartitionOwner(
                        engine.getPartitionService().getPartitionId(serialization.toData(key)));
                com.hazelcast.cluster.Member member = address == null ? null
                        : engine.getClusterService().getMember(address);
                return member == null ? null : member.getUuid();
            });
            List<Batch> batches = new ArrayList<>();
            UUID local = engine.getLocalMember().getUuid();
            for (Map.Entry<UUID, Map<String, String>> group : groups.entrySet()) {
                if (local.equals(group.getKey())) {
                    batches.addAll(MemberRenewal.start(engine, mapName, group.getValue(), leaseMillis,
                            retentionMillis));
                    continue;
                }
                com.hazelcast.cluster.Member member = group.getKey() == null ? null
                        : engine.getClusterService().getMember(group.getKey());
                if (member == null) {
                    // No owner yet: these keys get no answer this time.
                    continue;
                }
                batches.add(new Batch(group.getValue().keySet(), new MemberRenewal(mapName, group.getValue(),
                        leaseMillis, retentionMillis, timeoutMillis).sendTo(engine.getHazelcastInstance(), member)));
            }
            return batches;
        }
    }

    /** On a client: the invocation future of the message {@code executeOnKey} sends. */
    private static final class ClientCalls extends EntryCalls {
        /** The most partitions one multi-key request covers: see {@link #sendAll}. */
        static final int PARTITIONS_PER_REQUEST = 16;

        private final ClientContext context;
        private final HazelcastClientInstance client;
        private final SerializationService serialization;

        ClientCalls(ClientMapProxy<?, ?> map, Duration timeout) {
            super(map.getName(), timeout);
            this.context = map.getContext();
            this.client = (HazelcastClientInstance) context.getHazelcastInstance();
            this.serialization = context.getSerializationService();
            // Resolved now, so that a Hazelcast version without them falls back to the public calls here.
            requireClasses(MapExecuteOnKeysCodec.class);
        }

        @Override
        CompletableFuture<?> send(String key, EntryProcessor<String, ?, ?> processor) {
            Data keyData = serialization.toData(key);
            // Parameter order as the codec's: processor, then key.
            return invoke(keyData, MapExecuteOnKeyCodec.encodeRequest(mapName, serialization.toData(processor),
                    keyData, ThreadUtil.getThreadId()));
        }

        @Override
        Object read(Object answer) {
            return serialization.toObject(MapExecuteOnKeyCodec.decodeResponse((ClientMessage) answer));
        }

        /**
         * {@code MapExecuteOnKeys} requests sent straight to the member owning their keys' partitions, each covering
         * at most {@link #PARTITIONS_PER_REQUEST} partitions (the public {@code submitToKeys} sends one request to any
         * member, which forwards to the owners). The member runs one operation per partition of a request, and every
         * one of them, and its backup, carries the whole request's keys: so the backup traffic of a request grows with
         * its keys times its partitions, and a request is kept to a few partitions. Keys whose owner the client does
         * not know yet go in one request to any member.
         */
        @Override
        List<Batch> sendAll(Set<String> keys, EntryProcessor<String, ?, ?> processor) {
            // owner -> partition -> keys
            Map<UUID, Map<Integer, List<String>>> byOwner = new LinkedHashMap<>();
            Map<String, Data> data = new HashMap<>(keys.size() * 2);
            for (String key : keys) {
                Data keyData = serialization.toData(key);
                data.put(key, keyData);
                int partition = context.getPartitionService().getPartitionId(keyData);
                UUID owner = context.getPartitionService().getPartitionOwner(partition);
                byOwner.computeIfAbsent(owner, o -> new LinkedHashMap<>())
                        .computeIfAbsent(partition, p -> new ArrayList<>()).add(key);
            }
            Data processorData = serialization.toData(processor);
            List<Batch> batches = new ArrayList<>();
            for (Map.Entry<UUID, Map<Integer, List<String>>> owner : byOwner.entrySet()) {
                List<String> requestKeys = new ArrayList<>();
                int partitions = 0;
                for (List<String> partitionKeys : owner.getValue().values()) {
                    requestKeys.addAll(partitionKeys);
                    if (++partitions == PARTITIONS_PER_REQUEST) {
                        batches.add(request(owner.getKey(), requestKeys, data, processorData));
                        requestKeys = new ArrayList<>();
                        partitions = 0;
                    }
                }
                if (!requestKeys.isEmpty()) {
                    batches.add(request(owner.getKey(), requestKeys, data, processorData));
                }
            }
            return batches;
        }

        private Batch request(UUID owner, List<String> keys, Map<String, Data> data, Data processorData) {
            List<Data> keyData = new ArrayList<>(keys.size());
            keys.forEach(key -> keyData.add(data.get(key)));
            ClientMessage request = MapExecuteOnKeysCodec.encodeRequest(mapName, processorData, keyData);
            // No owner known yet (no partition table): any member forwards to the owners.
            ClientInvocation invocation = owner == null ? new ClientInvocation(client, request, mapName)
                    : new ClientInvocation(client, request, mapName, owner);
            return new Batch(keys, invocation.invoke());
        }

        @Override
        boolean backedUpRenewals() {
            return true;
        }

        /** One {@link MemberRenewal} per partition owner, through its executor. */
        @Override
        List<Batch> sendRenewals(Map<String, String> owners, long leaseMillis, long retentionMillis,
                                 long timeoutMillis) {
            Map<UUID, Map<String, String>> groups = byOwner(owners, key -> context.getPartitionService()
                    .getPartitionOwner(context.getPartitionService().getPartitionId(serialization.toData(key))));
            List<Batch> batches = new ArrayList<>();
            for (Map.Entry<UUID, Map<String, String>> group : groups.entrySet()) {
                com.hazelcast.cluster.Member member = null;
                for (com.hazelcast.cluster.Member candidate : client.getCluster().getMembers()) {
                    if (group.getKey() == null || candidate.getUuid().equals(group.getKey())) {
                        member = candidate;
                        break;
                    }
                }
                if (member == null) {
                    // No such member any more: these keys get no answer this time.
                    continue;
                }
                batches.add(new Batch(group.getValue().keySet(), new MemberRenewal(mapName, group.getValue(),
                        leaseMillis, retentionMillis, timeoutMillis).sendTo(client, member)));
            }
            return batches;
        }

        @Override
        @SuppressWarnings("unchecked")
        void readAll(Object answer, Map<String, Object> results) {
            if (answer instanceof Map<?, ?> renewed) {
                results.putAll((Map<String, Object>) renewed);
                return;
            }
            for (Map.Entry<Data, Data> entry : MapExecuteOnKeysCodec.decodeResponse((ClientMessage) answer)) {
                results.put(serialization.toObject(entry.getKey()), serialization.toObject(entry.getValue()));
            }
        }

        private CompletableFuture<?> invoke(Data keyData, ClientMessage request) {
            int partition = context.getPartitionService().getPartitionId(keyData);
            return new ClientInvocation(client, request, mapName, partition).invoke();
        }
    }
}
