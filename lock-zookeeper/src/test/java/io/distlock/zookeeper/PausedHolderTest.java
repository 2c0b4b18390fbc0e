package io.distlock.zookeeper;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A holder whose whole JVM is frozen (SIGSTOP, as a long GC pause or a suspended VM would) for longer than its
 * session: the server expires the session and another client takes the key. When the holder resumes, its handle must
 * say {@code isHeld() == false} from the first moment (it follows a local deadline, one lease after the last confirmed
 * round trip), and {@code lost()} must complete. Before, the handle said held for seconds after resuming, until the
 * client had reconnected and been told its session had expired: two holders at once.
 */
class PausedHolderTest {

    private static final long LEASE_MS = 2_000;

    private TestingServer server;
    private Process holder;
    private LockManager successor;

    @BeforeEach
    void start() throws Exception {
        server = ZooKeeperServers.server();
    }

    @AfterEach
    void stop() throws Exception {
        if (holder != null) {
            if (holder.isAlive()) {
                signal("CONT");
            }
            holder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (successor != null) {
            successor.close();
        }
        server.close();
    }

    @Test
    void holderPausedLongerThanItsSessionSaysNotHeldWhenItResumesAndIsToldItLost() throws Exception {
        String namespace = "paused-" + UUID.randomUUID();
        String key = "paused-holder";
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", PausedHolderMain.class.getName(),
                server.getConnectString(), namespace, key, Long.toString(LEASE_MS))
                .redirectError(new File("target/paused-holder.err")).start();
        List<String> lines = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "paused-holder-output");
        reader.setDaemon(true);
        reader.start();
        await("the holder process takes the lock").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    assertThat(holder.isAlive()).as("the holder process (see target/paused-holder.err)").isTrue();
                    return lines.stream().anyMatch(l -> l.startsWith("state ") && l.endsWith(" true false"));
                });
        long token = Long.parseLong(lines.stream().filter(l -> l.startsWith("token ")).findFirst().orElseThrow()
                .substring("token ".length()));

        signal("STOP");
        long stoppedAt = System.nanoTime();
        successor = ZooKeeperLockManager.builder().connectString(server.getConnectString()).namespace(namespace)
                .build();
        LockHandle next = await("the server expires the frozen holder's session and the key is taken")
                .atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                .until(() -> successor.tryLock(key).orElse(null), h -> h != null);
        assertThat(next.fencingToken()).isGreaterThan(token);
        // Frozen for well over the session in total, as in the fault runs.
        long frozenFor = TimeUnit.MILLISECONDS.toNanos(2 * LEASE_MS) - (System.nanoTime() - stoppedAt);
        if (frozenFor > 0) {
            TimeUnit.NANOSECONDS.sleep(frozenFor);
        }
        long resumedAt = System.currentTimeMillis();
        signal("CONT");

        await("the resumed holder is told it lost the lock").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20)).until(() -> lines.stream().anyMatch(l -> l.endsWith(" true")
                        && l.startsWith("state ")));
        assertThat(next.isHeld()).isTrue();
        List<String> heldAfterResume = lines.stream().filter(l -> l.startsWith("state "))
                .filter(l -> Long.parseLong(l.split(" ")[1]) >= resumedAt)
                .filter(l -> l.split(" ")[2].equals("true")).toList();
        assertThat(heldAfterResume).as("lines where the resumed holder still said held while %d held the key",
                next.fencingToken()).isEmpty();
        next.close();
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(holder.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %d", signal, holder.pid()).isZero();
    }
}
