package io.distlock.hazelcast;

import com.hazelcast.query.Predicate;

import java.io.Serial;
import java.io.Serializable;
import java.util.Comparator;
import java.util.Map;

/**
 * The query behind listing held locks, run on the members: keys that start with a prefix and come after a cursor
 * key, in key order, leaving out tombstones (released locks). Lapsed leases still match; the listing drops them after
 * reading each candidate with {@link InspectProcessor}, which judges leases as the grant path does. Like the entry
 * processors, these classes must be on every member's classpath.
 */
final class HeldKeys {

    private HeldKeys() {
    }

    /** Keys under {@code prefix} after {@code after} (null: from the start) whose value is not a tombstone. */
    record Filter(String prefix, String after) implements Predicate<String, String>, Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public boolean apply(Map.Entry<String, String> entry) {
            String key = entry.getKey();
            return key.startsWith(prefix) && (after == null || key.compareTo(after) > 0)
                    && !LockEntryProcessor.isFree(entry.getValue());
        }
    }

    /** Key order, for the paging predicate. */
    record KeyOrder() implements Comparator<Map.Entry<String, String>>, Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        @Override
        public int compare(Map.Entry<String, String> a, Map.Entry<String, String> b) {
            return a.getKey().compareTo(b.getKey());
        }
    }
}
