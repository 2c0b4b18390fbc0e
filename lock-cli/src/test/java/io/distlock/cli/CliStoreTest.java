package io.distlock.cli;

import io.distlock.LockHandle;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The commands against a real store, with the lock held by another manager (another "replica") in this JVM: the CLI
 * opens its own manager from the URI, as it would from a shell.
 */
abstract class CliStoreTest {

    /** The store's lock URI, as an operator would pass it. */
    abstract String uri();

    /** Parameters for the application's manager: short leases so a force-release is noticed quickly. */
    String appParameters() {
        return "lease=3s&timeout=1s";
    }

    private LockManager app;
    private final String key = "user-update:" + UUID.randomUUID();

    @BeforeEach
    void openTheApplicationsManager() {
        app = LockManagers.create(URI.create(uri() + (uri().contains("?") ? "&" : "?") + appParameters()));
        try {
            app.inspector();
        } catch (UnsupportedOperationException e) {
            app.close();
            Assumptions.abort("this backend cannot be inspected yet: " + e.getMessage());
        }
    }

    @AfterEach
    void closeIt() {
        app.close();
    }

    @Test
    void holder_shows_who_holds_a_key_that_another_manager_holds() {
        try (LockHandle handle = app.tryLock(key).orElseThrow()) {
            Cli cli = Cli.run("holder", uri(), key);

            assertThat(cli.exitCode()).as(cli.toString()).isZero();
            assertThat(cli.out()).contains(key + " is held", Thread.currentThread().getName(), " ago)")
                    .containsPattern("token        (" + handle.fencingToken() + "|unknown)");
            Cli json = Cli.run("holder", "--json", uri(), key);
            assertThat(json.out()).contains("\"key\":\"" + key + "\"", "\"held\":true",
                    "\"thread\":" + Format.quote(Thread.currentThread().getName()));
        }
        Cli free = Cli.run("holder", uri(), key);
        assertThat(free.exitCode()).as(free.toString()).isEqualTo(DistlockCli.NOT_FOUND);
    }

    @Test
    void list_shows_the_held_keys_under_a_prefix() {
        String prefix = "cli-list-" + UUID.randomUUID() + ":";
        try (LockHandle a = app.tryLock(prefix + "a").orElseThrow();
             LockHandle b = app.tryLock(prefix + "b").orElseThrow();
             LockHandle other = app.tryLock(key).orElseThrow()) {
            Cli cli = Cli.run("list", uri(), prefix);

            assertThat(cli.exitCode()).as(cli.toString()).isZero();
            assertThat(cli.out()).contains(prefix + "a", prefix + "b", "2 locks held under '" + prefix + "'")
                    .doesNotContain(key);
            Cli limited = Cli.run("list", uri(), prefix, "--limit", "1");
            assertThat(limited.out()).contains("1 lock held");
            Cli all = Cli.run("list", uri());
            assertThat(all.out()).contains(prefix + "a", prefix + "b", key);
        }
        assertThat(Cli.run("list", uri(), prefix).out()).contains("no locks held under '" + prefix + "'");
    }

    @Test
    void release_with_a_reason_frees_the_key_and_the_holder_reports_it_lost() {
        LockHandle handle = app.tryLock(key).orElseThrow();
        try {
            Cli refused = Cli.run("release", uri(), key);
            assertThat(refused.exitCode()).isEqualTo(DistlockCli.USAGE);
            assertThat(handle.isHeld()).isTrue();

            Cli cli = Cli.run("release", uri(), key, "--reason", "INC-42: the job hung");

            assertThat(cli.exitCode()).as(cli.toString()).isZero();
            assertThat(cli.out()).contains("released " + key, Thread.currentThread().getName());
            assertThat(cli.err()).as("the audit line").contains("INC-42: the job hung");
            Cli after = Cli.run("holder", uri(), key);
            assertThat(after.exitCode()).as(after.toString()).isEqualTo(DistlockCli.NOT_FOUND);
            // At its next renewal, or at once where the backend watches its locks (ZooKeeper).
            await().atMost(Duration.ofSeconds(10)).until(() -> handle.lost().toCompletableFuture().isDone());
            assertThat(handle.isHeld()).isFalse();
            Cli again = Cli.run("release", uri(), key, "--reason", "INC-42: the job hung");
            assertThat(again.exitCode()).as(again.toString()).isEqualTo(DistlockCli.NOT_FOUND);
        } finally {
            handle.close();
        }
    }
}
