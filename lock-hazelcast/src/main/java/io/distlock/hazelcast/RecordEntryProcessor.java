package io.distlock.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One record-store operation on one entry of the records map ({@code String} key, {@code byte[]} value), run by the
 * member that owns the key's partition, on its partition thread: atomic per key. Like {@link LockEntryProcessor}, this
 * class (nothing but Hazelcast and the JDK) must be on every member's classpath; embedded members have it.
 *
 * <p>The map value is the record's expiry (8 bytes, cluster time in milliseconds) followed by the caller's bytes. A
 * record past its expiry is absent for every operation, checked here on the owner with millisecond precision.
 * Hazelcast's own ttl only removes the entry afterwards: Hazelcast 5 keeps expiry times in whole seconds
 * ({@code ExpiryMetadataImpl} holds them as {@code int} seconds), truncated, so a 300 ms ttl was seen to expire after
 * 1 ms and a 1.7 s ttl after 1.0 s. The entry's Hazelcast ttl is therefore the record's ttl plus
 * {@link #EXPIRY_SLACK_MILLIS}, and never decides anything.
 *
 * <p>Why a processor even for {@code get} and {@code putIfAbsent}: Hazelcast's own operations could only use that
 * second-granular expiry. And {@code IMap.replace(k, old, new)} resets the entry's ttl to the map's default (forever
 * unless configured), which a second {@code setTtl} call would fix only after a window; here a value and its ttl are
 * written in one step. Comparisons are byte-wise ({@link Arrays#equals}), whatever the map's in-memory format.
 *
 * <p>Backups replay what the primary wrote (or removed), they never decide again. A new instance per call: an embedded
 * caller's instance is used as is, and the primary keeps its decision in it for the backup.
 *
 * <p>Results: {@link #GET} the live value (without the expiry) or null; {@link #PUT_IF_ABSENT}, {@link #REPLACE} and
 * {@link #REMOVE} whether they wrote.
 */
final class RecordEntryProcessor implements EntryProcessor<String, byte[], Object>, DataSerializable,
        HazelcastInstanceAware {

    private static final long serialVersionUID = 1L;

    /**
     * Added to Hazelcast's ttl of an entry, so that its expiry (truncated to whole seconds, on the member's own clock
     * rather than cluster time) never comes before the record's.
     */
    static final long EXPIRY_SLACK_MILLIS = 2000;
    private static final int STAMP = Long.BYTES;

    static final byte GET = 1;
    static final byte PUT_IF_ABSENT = 2;
    static final byte REPLACE = 3;
    static final byte REMOVE = 4;
    /** Backup replay: writes {@link #written} with {@link #ttlMillis}, or removes the entry when it is null. */
    private static final byte APPLY = 5;

    private byte kind;
    private byte[] expected;
    private byte[] value;
    private long ttlMillis;
    /**
     * Whether the primary changed the entry; then {@link #written} (null: removed) and {@link #ttlMillis} are what it
     * wrote.
     */
    private boolean changed;
    private byte[] written;
    private transient HazelcastInstance instance;

    /** For Hazelcast's deserialization only. */
    RecordEntryProcessor() {
    }

    private RecordEntryProcessor(byte kind, byte[] expected, byte[] value, long ttlMillis) {
        this.kind = kind;
        this.expected = expected;
        this.value = value;
        this.ttlMillis = ttlMillis;
    }

    static RecordEntryProcessor get() {
        return new RecordEntryProcessor(GET, null, null, 0);
    }

    static RecordEntryProcessor putIfAbsent(byte[] value, long ttlMillis) {
        return new RecordEntryProcessor(PUT_IF_ABSENT, null, value, ttlMillis);
    }

    static RecordEntryProcessor replace(byte[] expected, byte[] value, long ttlMillis) {
        return new RecordEntryProcessor(REPLACE, expected, value, ttlMillis);
    }

    static RecordEntryProcessor remove(byte[] expected) {
        return new RecordEntryProcessor(REMOVE, expected, null, 0);
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance instance) {
        this.instance = instance;
    }

    @Override
    public Object process(Map.Entry<String, byte[]> e) {
        ExtendedMapEntry<String, byte[]> entry = (ExtendedMapEntry<String, byte[]>) e;
        if (kind == APPLY) {
            write(entry, written, ttlMillis);
            return null;
        }
        // A retried operation may run this instance again: decide afresh.
        changed = false;
        long now = instance.getCluster().getClusterTime();
        byte[] stored = entry.getValue(); // null when absent or past Hazelcast's (later) ttl
        byte[] current = stored == null || stored.length < STAMP || ByteBuffer.wrap(stored).getLong() <= now ? null
                : Arrays.copyOfRange(stored, STAMP, stored.length);
        switch (kind) {
            case GET:
                return current;
            case PUT_IF_ABSENT:
                if (current != null) {
                    return Boolean.FALSE;
                }
                written = stamped(now);
                break;
            case REPLACE:
                if (current == null || !Arrays.equals(current, expected)) {
                    return Boolean.FALSE;
                }
                written = stamped(now);
                break;
            case REMOVE:
                if (current == null || !Arrays.equals(current, expected)) {
                    return Boolean.FALSE;
                }
                written = null;
                break;
            default:
                throw new IllegalStateException("unknown record operation " + kind);
        }
        changed = true;
        write(entry, written, ttlMillis);
        return Boolean.TRUE;
    }

    /** The value with its expiry in front. */
    private byte[] stamped(long now) {
        long expiresAt = ttlMillis >= Long.MAX_VALUE - now ? Long.MAX_VALUE : now + ttlMillis;
        return ByteBuffer.allocate(STAMP + value.length).putLong(expiresAt).put(value).array();
    }

    private static void write(ExtendedMapEntry<String, byte[]> entry, byte[] bytes, long ttlMillis) {
        if (bytes == null) {
            entry.setValue(null); // removes the entry
        } else {
            // setValue(value) alone would reset the ttl to the map's default.
            long ttl = ttlMillis >= Long.MAX_VALUE - EXPIRY_SLACK_MILLIS ? Long.MAX_VALUE
                    : ttlMillis + EXPIRY_SLACK_MILLIS;
            entry.setValue(bytes, ttl, TimeUnit.MILLISECONDS);
        }
    }

    /** Called on the primary after {@link #process}: the backup writes what the primary wrote, or nothing. */
    @Override
    public EntryProcessor<String, byte[], Object> getBackupProcessor() {
        if (!changed) {
            return null;
        }
        RecordEntryProcessor backup = new RecordEntryProcessor(APPLY, null, null, ttlMillis);
        backup.written = written;
        return backup;
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByte(kind);
        out.writeByteArray(expected);
        out.writeByteArray(value);
        out.writeLong(ttlMillis);
        out.writeBoolean(changed);
        out.writeByteArray(written);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        kind = in.readByte();
        expected = in.readByteArray();
        value = in.readByteArray();
        ttlMillis = in.readLong();
        changed = in.readBoolean();
        written = in.readByteArray();
    }
}
