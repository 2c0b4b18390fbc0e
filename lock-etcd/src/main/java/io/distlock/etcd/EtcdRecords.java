package io.distlock.etcd;

import io.distlock.idempotency.spi.RecordStore;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The etcd {@link RecordStore} behind {@link EtcdRecordStore}: a record is a key with the value as given, attached to
 * a lease of its ttl, so etcd itself expires it. Conditional writes are transactions comparing the stored value
 * ({@code Cmp value ==}, which fails for a missing key); the transaction that replaces or removes a record also reads
 * it, so that its old lease can be revoked. Thread safe.
 */
final class EtcdRecords implements RecordStore {

    static final int MAX_KEY_BYTES = 1400;

    private final Client client;
    private final boolean ownsClient;
    private final String recordsPrefix;
    private final EtcdCalls calls;
    private final AtomicBoolean closed = new AtomicBoolean();

    EtcdRecords(Client client, boolean ownsClient, String namespacePrefix, Duration timeout, String description) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.recordsPrefix = namespacePrefix + "records/";
        this.calls = new EtcdCalls(timeout, description);
    }

    @Override
    public String name() {
        return "etcd";
    }

    @Override
    public int maxValueBytes() {
        return EtcdRecordStore.MAX_VALUE_BYTES;
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value, Duration ttl) {
        checkKey(key);
        checkValue(key, value, "value");
        checkTtl(ttl);
        checkOpen();
        String what = "storing record '" + key + "'";
        long deadline = calls.deadline();
        long lease = grant(ttl, deadline, what);
        ByteSequence etcdKey = etcdKey(key);
        TxnResponse response = calls.await(client.getKVClient().txn()
                .If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(etcdKey, ByteSequence.from(value), PutOption.builder().withLeaseId(lease).build()))
                .commit(), deadline, false, what);
        if (!response.isSucceeded()) {
            revokeQuietly(lease);
        }
        return response.isSucceeded();
    }

    @Override
    public Optional<byte[]> get(String key) {
        checkKey(key);
        checkOpen();
        GetResponse response = calls.await(client.getKVClient().get(etcdKey(key)), calls.deadline(), false,
                "reading record '" + key + "'");
        List<KeyValue> kvs = response.getKvs();
        return kvs.isEmpty() ? Optional.empty() : Optional.of(kvs.get(0).getValue().getBytes());
    }

    @Override
    public boolean replace(String key, byte[] expected, byte[] value, Duration ttl) {
        checkKey(key);
        checkValue(key, expected, "expected");
        checkValue(key, value, "value");
        checkTtl(ttl);
        checkOpen();
        String what = "replacing record '" + key + "'";
        long deadline = calls.deadline();
        long lease = grant(ttl, deadline, what);
        ByteSequence etcdKey = etcdKey(key);
        TxnResponse response = calls.await(client.getKVClient().txn()
                .If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(expected))))
                .Then(Op.get(etcdKey, GetOption.DEFAULT),
                        Op.put(etcdKey, ByteSequence.from(value), PutOption.builder().withLeaseId(lease).build()))
                .commit(), deadline, false, what);
        if (response.isSucceeded()) {
            revokeOldLease(response);
        } else {
            revokeQuietly(lease);
        }
        return response.isSucceeded();
    }

    @Override
    public boolean remove(String key, byte[] expected) {
        checkKey(key);
        checkValue(key, expected, "expected");
        checkOpen();
        ByteSequence etcdKey = etcdKey(key);
        TxnResponse response = calls.await(client.getKVClient().txn()
                .If(new Cmp(etcdKey, Cmp.Op.EQUAL, CmpTarget.value(ByteSequence.from(expected))))
                .Then(Op.get(etcdKey, GetOption.DEFAULT), Op.delete(etcdKey, DeleteOption.DEFAULT))
                .commit(), calls.deadline(), false, "removing record '" + key + "'");
        if (response.isSucceeded()) {
            revokeOldLease(response);
        }
        return response.isSucceeded();
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && ownsClient) {
            client.close();
        }
    }

    // ---- internals ----

    private long grant(Duration ttl, long deadline, String what) {
        long remaining = Math.max(1, deadline - System.nanoTime());
        return calls.await(client.getLeaseClient().grant(EtcdLockBackend.ttlSeconds(ttl), remaining,
                TimeUnit.NANOSECONDS), deadline, false, what + " (granting its lease)").getID();
    }

    /** The record's previous lease, read by the transaction's first operation, is not needed any more. */
    private void revokeOldLease(TxnResponse response) {
        if (!response.getGetResponses().isEmpty() && !response.getGetResponses().get(0).getKvs().isEmpty()) {
            long old = response.getGetResponses().get(0).getKvs().get(0).getLease();
            if (old != 0) {
                revokeQuietly(old);
            }
        }
    }

    private void revokeQuietly(long lease) {
        try {
            // Best effort: an unrevoked lease ends with its ttl, taking nothing else with it.
            client.getLeaseClient().revoke(lease).whenComplete((r, e) -> { });
        } catch (RuntimeException e) {
            // The client is closing; the lease ends with its ttl.
        }
    }

    private ByteSequence etcdKey(String key) {
        return ByteSequence.from(recordsPrefix + key, StandardCharsets.UTF_8);
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new IllegalStateException("the etcd record store on " + calls.description() + " is closed");
        }
    }

    private static void checkKey(String key) {
        Objects.requireNonNull(key, "key must not be null");
        if (key.isBlank()) {
            throw new IllegalArgumentException("key must not be blank");
        }
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("key is " + bytes + " UTF-8 bytes long; the limit is " + MAX_KEY_BYTES);
        }
    }

    private static void checkValue(String key, byte[] value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.length > EtcdRecordStore.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(name + " of record '" + key + "' is " + value.length
                    + " bytes; the limit is " + EtcdRecordStore.MAX_VALUE_BYTES);
        }
    }

    private static void checkTtl(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl must not be null");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
    }
}
