package io.distlock.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/** What the scale benchmarks read of this JVM: its CPU time and its live heap. */
final class ProcessMeasures {

    private ProcessMeasures() {
    }

    /** CPU time of the whole process (every thread, the JIT's and the client libraries' included), in nanoseconds. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Used heap after full collections; a few rounds, since one System.gc() may leave garbage behind. */
    static long liveHeap() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
