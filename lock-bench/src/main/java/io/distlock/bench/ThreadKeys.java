package io.distlock.bench;

import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

import java.util.UUID;

/** A key and owner id of one benchmark thread, so threads measure distinct keys (no contention). */
@State(Scope.Thread)
public class ThreadKeys {
    public final String key = "bench:" + UUID.randomUUID();
    public final String owner = UUID.randomUUID().toString();
}
