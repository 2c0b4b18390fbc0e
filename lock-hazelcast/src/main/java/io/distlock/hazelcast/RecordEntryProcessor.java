package io.distlock.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One record-store operation on one entry of the records map ({@code String} key, {@code byte[]} value), run by the
 * member that owns the key's partition, on its partition thread: atomic per key. Like {@link LockEntryProcessor}, this
 * class (nothing but Hazelcast and the JDK) must be on every member's classpath; embedded members have it.
 *
 * <p>Why a processor and not {@code IMap.replace(k, old, new)} and {@code IMap.remove(k, v)}:
 * <ul>
 *   <li>{@code replace} resets the entry's time to live to the map's default (forever unless configured); a second
 *       {@code setTtl} call would leave a window, and a caller that dies in it leaves a record that never
 *       expires. Here the value and its ttl are written in one step.</li>
 *   <li>Those operations compare the stored form, which is byte-exact only with the {@code BINARY} in-memory format;
 *       this compares the bytes ({@link Arrays#equals}) whatever the map's format.</li>
 * </ul>
 * An entry past its ttl reads as absent here ({@code getValue()} is null), even before Hazelcast removes it.
 *
 * <p>Backups replay what the primary wrote (or removed), they never decide again. A new instance per call: an embedded
 * caller's instance is used as is, and the primary keeps its decision in it for the backup.
 *
 * <p>Results: {@link #GET} the live value or null; {@link #PUT_IF_ABSENT}, {@link #REPLACE} and {@link #REMOVE} whether
 * they wrote.
 */
final class RecordEntryProcessor implements EntryProcessor<String, byte[], Object>, DataSerializable {

    private static final long serialVersionUID = 1L;

    static final byte GET = 1;
    static final byte PUT_IF_ABSENT = 2;
    static final byte REPLACE = 3;
    static final byte REMOVE = 4;
    /** Backup replay: writes {@link #value} with {@link #ttlMillis}, or removes the entry when it is null. */
    private static final byte APPLY = 5;

    private byte kind;
    private byte[] expected;
    private byte[] value;
    private long ttlMillis;
    /** Whether the primary changed the entry; then {@link #value} and {@link #ttlMillis} are what it wrote. */
    private boolean changed;

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
    public Object process(Map.Entry<String, byte[]> e) {
        ExtendedMapEntry<String, byte[]> entry = (ExtendedMapEntry<String, byte[]>) e;
        if (kind == APPLY) {
            write(entry);
            return null;
        }
        // A retried operation may run this instance again: decide afresh.
        changed = false;
        byte[] current = entry.getValue(); // null when absent or past its ttl
        switch (kind) {
            case GET:
                return current;
            case PUT_IF_ABSENT:
                if (current != null) {
                    return Boolean.FALSE;
                }
                break;
            case REPLACE:
            case REMOVE:
                if (current == null || !Arrays.equals(current, expected)) {
                    return Boolean.FALSE;
                }
                break;
            default:
                throw new IllegalStateException("unknown record operation " + kind);
        }
        changed = true;
        write(entry);
        return Boolean.TRUE;
    }

    private void write(ExtendedMapEntry<String, byte[]> entry) {
        if (value == null) {
            entry.setValue(null); // removes the entry
        } else {
            // setValue(value) alone would reset the ttl to the map's default.
            entry.setValue(value, ttlMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** Called on the primary after {@link #process}: the backup writes what the primary wrote, or nothing. */
    @Override
    public EntryProcessor<String, byte[], Object> getBackupProcessor() {
        if (!changed) {
            return null;
        }
        return new RecordEntryProcessor(APPLY, null, value, ttlMillis);
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByte(kind);
        out.writeByteArray(expected);
        out.writeByteArray(value);
        out.writeLong(ttlMillis);
        out.writeBoolean(changed);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        kind = in.readByte();
        expected = in.readByteArray();
        value = in.readByteArray();
        ttlMillis = in.readLong();
        changed = in.readBoolean();
    }
}
