package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockSettings;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The holder process of {@link PausedHolderTest}: takes one lock, prints its token, then every 5 ms a line
 * {@code state <epoch ms> <isHeld> <lost done>}, until a while after the loss was reported. Arguments: connect
 * string, namespace, key, lease in ms.
 */
public final class PausedHolderMain {

    private PausedHolderMain() {
    }

    public static void main(String[] args) {
        PrintStream out = System.out;
        // A fresh JVM on a loaded machine takes a while for its first connection; the short operation timeout is
        // for the checks, not for that.
        LockManager manager = ZooKeeperLockManager.builder().connectString(args[0]).namespace(args[1])
                .connectionTimeout(Duration.ofSeconds(20))
                .settings(LockSettings.defaults().withLease(Duration.ofMillis(Long.parseLong(args[3])))
                        .withOperationTimeout(Duration.ofMillis(500))).build();
        LockHandle handle = manager.tryLock(args[2]).orElseThrow();
        out.println("token " + handle.fencingToken());
        out.flush();
        long lostSeenAt = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() - end < 0) {
            boolean lost = handle.lost().toCompletableFuture().isDone();
            out.println("state " + System.currentTimeMillis() + " " + handle.isHeld() + " " + lost);
            out.flush();
            if (lost && lostSeenAt == 0) {
                lostSeenAt = System.nanoTime();
            }
            if (lostSeenAt != 0 && System.nanoTime() - lostSeenAt > TimeUnit.MILLISECONDS.toNanos(300)) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        out.println("done");
        out.flush();
        Runtime.getRuntime().halt(0);
    }
}
