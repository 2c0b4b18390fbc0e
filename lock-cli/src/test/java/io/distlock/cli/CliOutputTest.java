package io.distlock.cli;

import io.distlock.LockInfo;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the commands print and return for the answers an inspector can give, on scripted answers (repeats across
 * pages, limits, odd keys); the same commands against real stores are in the server tests.
 */
class CliOutputTest {

    private final String name = "s" + UUID.randomUUID().toString().substring(0, 8);
    private final ScriptedInspectorProvider.Script script = ScriptedInspectorProvider.script(name);
    private final String uri = "scripted://" + name;

    private static LockInfo lock(String key, long token, Duration lease) {
        return new LockInfo(key, "0123456789abcdef:" + token, "orders@host-1 (pid 42)", "http-nio-8080-exec-3",
                Optional.of(Instant.now().minusSeconds(192)), token, Optional.ofNullable(lease));
    }

    @Test
    void holder_shows_manager_thread_acquired_at_with_age_token_and_lease_and_exits_0() {
        script.holders.put("user-update:alice", lock("user-update:alice", 42, Duration.ofMillis(27_100)));

        Cli cli = Cli.run("holder", uri, "user-update:alice");

        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        assertThat(cli.out()).contains("user-update:alice is held", "orders@host-1 (pid 42)", "http-nio-8080-exec-3",
                "(3m 12s ago)", "token        42", "lease left   27.1s", "0123456789abcdef:42");
        assertThat(cli.out()).containsPattern("acquired at  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(script.open).as("the manager is closed").hasValue(0);
    }

    @Test
    void holder_of_a_free_key_exits_1() {
        Cli cli = Cli.run("holder", uri, "free");

        assertThat(cli.exitCode()).as(cli.toString()).isEqualTo(DistlockCli.NOT_FOUND);
        assertThat(cli.out()).contains("free is not held on " + uri);
        assertThat(script.open).hasValue(0);
    }

    @Test
    void a_session_bound_lock_says_so_instead_of_a_lease() {
        script.holders.put("job", lock("job", 7, null));

        assertThat(Cli.run("holder", uri, "job").out()).contains("none: held as long as the holder's session lives");
        script.pages.add(List.of(lock("job", 7, null)));
        assertThat(Cli.run("list", uri).out()).containsPattern("\\n(job .*session)\\n");
    }

    @Test
    void holder_in_json_has_every_field() {
        script.holders.put("k\"1", lock("k\"1", 42, Duration.ofSeconds(5)));

        Cli cli = Cli.run("holder", "--json", uri, "k\"1");

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.out().strip()).startsWith("{\"key\":\"k\\\"1\",\"held\":true,\"manager\":\"orders@host-1 (pid 42)\"")
                .contains("\"thread\":\"http-nio-8080-exec-3\"", "\"fencingToken\":42", "\"leaseRemainingMillis\":5000",
                        "\"sessionBound\":false", "\"ownerId\":\"0123456789abcdef:42\"")
                .containsPattern("\"ageMillis\":19\\d{4}").endsWith("}");
        assertThat(Cli.run("holder", "--json", uri, "nope").out().strip()).isEqualTo("{\"key\":\"nope\",\"held\":false}");
    }

    @Test
    void control_characters_of_a_key_are_escaped_not_sent_to_the_terminal() {
        String key = "evil\u001b[2Jkey\nnext";
        script.holders.put(key, lock(key, 1, Duration.ofSeconds(1)));

        Cli cli = Cli.run("holder", uri, key);

        assertThat(cli.out()).contains("evil\\u001b[2Jkey\\u000anext is held").doesNotContain("\u001b");
    }

    @Test
    void list_pages_through_everything_and_shows_each_key_once() {
        script.pages.add(List.of(lock("a", 1, Duration.ofSeconds(10)), lock("b", 2, Duration.ofSeconds(10))));
        script.pages.add(List.of());
        script.pages.add(List.of(lock("b", 2, Duration.ofSeconds(9)), lock("c", 3, null)));

        Cli cli = Cli.run("list", uri);

        assertThat(cli.exitCode()).as(cli.toString()).isZero();
        List<String> lines = cli.out().lines().toList();
        assertThat(lines.get(0)).startsWith("KEY").contains("MANAGER", "THREAD", "ACQUIRED AT", "AGE", "TOKEN",
                "LEASE LEFT");
        assertThat(lines).filteredOn(line -> line.startsWith("b ")).hasSize(1).first().asString().contains("9.0s");
        assertThat(lines).filteredOn(line -> line.startsWith("c ")).first().asString().endsWith("session");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("3 locks held on " + uri);
        assertThat(script.pagesServed).hasValue(3);
    }

    @Test
    void list_with_a_limit_stops_early_and_says_more_may_be_held() {
        script.pages.add(List.of(lock("a", 1, null), lock("b", 2, null), lock("c", 3, null)));
        script.pages.add(List.of(lock("d", 4, null)));

        Cli cli = Cli.run("list", uri, "--limit", "2");

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.out()).contains("2 locks held on " + uri + " (the first 2; more may be held: raise --limit)")
                .doesNotContain("\nc ");
        assertThat(script.pagesServed).hasValue(1);
    }

    @Test
    void list_under_a_prefix_and_in_json() {
        script.pages.add(List.of(lock("user-1", 1, null), lock("job-1", 2, null)));

        Cli text = Cli.run("list", uri, "user-");
        Cli json = Cli.run("list", uri, "job-", "--json");
        Cli none = Cli.run("list", uri, "nothing-");

        assertThat(text.out()).contains("user-1").doesNotContain("job-1").contains("1 lock held under 'user-'");
        assertThat(json.out().strip()).startsWith("{\"prefix\":\"job-\",\"count\":1,\"complete\":true,\"locks\":[{\"key\":\"job-1\"");
        assertThat(none.exitCode()).isZero();
        assertThat(none.out()).contains("no locks held under 'nothing-' on " + uri);
    }

    @Test
    void release_needs_a_reason_and_sends_nothing_without_one() {
        script.holders.put("k", lock("k", 5, null));

        Cli missing = Cli.run("release", uri, "k");
        Cli blank = Cli.run("release", uri, "k", "--reason", "  ");

        assertThat(missing.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(missing.err()).contains("--reason");
        assertThat(blank.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(blank.err()).contains("--reason must say why");
        assertThat(script.created).as("no manager was even opened").hasValue(0);
        assertThat(script.holders).containsKey("k");
    }

    @Test
    void release_frees_the_key_with_the_reason_and_exits_1_when_nothing_was_held() {
        script.holders.put("k", lock("k", 5, Duration.ofSeconds(3)));

        Cli released = Cli.run("release", uri, "k", "--reason", "INC-42: job hung");
        Cli again = Cli.run("release", uri, "k", "--reason", "INC-42: job hung");

        assertThat(released.exitCode()).as(released.toString()).isZero();
        assertThat(released.out()).contains("released k on " + uri, "orders@host-1 (pid 42)", "token        5",
                "the next holder's is higher than 5");
        assertThat(script.reasons).first().asString().startsWith("INC-42: job hung (by ")
                .endsWith(" with the distlock command line)");
        assertThat(again.exitCode()).isEqualTo(DistlockCli.NOT_FOUND);
        assertThat(again.out()).contains("k was not held on " + uri + " (or changed hands meanwhile): nothing released");
        assertThat(script.open).hasValue(0);
    }
}
