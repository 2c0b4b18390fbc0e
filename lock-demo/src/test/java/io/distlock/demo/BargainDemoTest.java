package io.distlock.demo;

import io.distlock.LockBackendException;
import io.distlock.LockManager;
import io.distlock.LockSettings;
import io.distlock.local.LocalFaults;
import io.distlock.local.LocalLockManager;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The demo's core against real managers with small numbers: the run with distlock never applies a cut twice, and
 * both runs' counts add up. No assertion on timing: whether the run without a lock hits the race depends on the
 * machine, so only its bookkeeping is checked.
 */
class BargainDemoTest {

    private static final long SEED = 42;

    @Test
    void with_distlock_on_local_managers_no_cut_is_applied_twice_and_the_counts_add_up() throws Exception {
        DemoOptions options = DemoOptions.defaults().withRequests(300).withDuplicateRate(0.4).withReplicas(3)
                .withThreads(4).withSeed(SEED);
        DemoRunner.Results results;
        try (Deployment deployment = UriDeployment.open(URI.create("local://demo-test-" + UUID.randomUUID()), 3)) {
            results = DemoRunner.run(options, deployment, Progress.off());
        }

        RequestStream stream = results.stream();
        int groups = stream.groups().size();
        assertThat(stream.requests()).isEqualTo(300);
        assertThat(stream.duplicates()).isEqualTo(120);
        assertThat(groups).isEqualTo(180);

        RunResult with = results.withDistlock();
        assertThat(with.failed()).as("failed requests, first: %s", with.firstFailure()).isZero();
        assertThat(with.doubleApplied()).as("cuts applied twice with distlock").isZero();
        assertThat(with.requests()).isEqualTo(300);
        assertThat(with.applied()).as("one cut per user and order").isEqualTo(groups);
        assertThat(with.rowsCut()).isEqualTo(groups);
        assertThat(with.applied() + with.rejectedInProgress() + with.rejectedAlreadyDone()).isEqualTo(300);
        assertThat(with.sameReplicaRejectNanos().length + with.crossReplicaRejectNanos().length)
                .as("every lock rejection is timed once").isEqualTo(with.rejectedInProgress());
        assertThat(with.appliedHoldNanos()).hasSize(groups);
        assertThat(results.passed()).isTrue();

        RunResult without = results.withoutLock();
        assertThat(without.failed()).isZero();
        assertThat(without.requests()).isEqualTo(300);
        assertThat(without.rejectedInProgress()).as("nothing is 'in progress' without a lock").isZero();
        assertThat(without.applied() + without.rejectedAlreadyDone()).isEqualTo(300);
        assertThat(without.rowsCut()).as("every original applies, lock or not").isEqualTo(groups);
        assertThat(without.doubleApplied()).as("double applications are the applications beyond one per row")
                .isEqualTo(without.applied() - without.rowsCut())
                .isBetween(0, stream.duplicates());
        assertThat(without.sameReplicaRejectNanos()).isEmpty();
        assertThat(without.crossReplicaRejectNanos()).isEmpty();
    }

    @Test
    void embedded_hazelcast_members_run_the_demo_with_no_double_application() throws Exception {
        DemoOptions options = DemoOptions.defaults().withRequests(120).withReplicas(2).withThreads(2).withSeed(SEED);
        DemoRunner.Results results;
        try (Deployment deployment = EmbeddedHazelcast.start(2)) {
            assertThat(deployment.description()).contains("2 members on 127.0.0.1");
            results = DemoRunner.run(options, deployment, Progress.off());
        }

        RunResult with = results.withDistlock();
        assertThat(with.failed()).as("failed requests, first: %s", with.firstFailure()).isZero();
        assertThat(with.doubleApplied()).isZero();
        assertThat(with.applied()).isEqualTo(results.stream().groups().size());
        assertThat(results.passed()).isTrue();
    }

    @Test
    void the_command_line_exits_0_and_prints_the_report_when_distlock_let_no_duplicate_through() {
        Captured run = Captured.run("--backend", "local://demo-cli-" + UUID.randomUUID(), "--requests", "80",
                "--replicas=2", "--duplicate-rate", "25%", "--seed", "7");

        assertThat(run.status).as("stderr: %s", run.err).isEqualTo(Demo.EXIT_OK);
        assertThat(run.out).contains("80 requests, 20 of them duplicates", "double-applied", "OK: with distlock");
    }

    @Test
    void zookeeper_embedded_starts_a_server_in_the_jvm_and_runs_the_demo_on_it() {
        Captured run = Captured.run("--backend", "zookeeper://embedded/demo-test?timeout=5s", "--requests", "60",
                "--replicas=2", "--seed", "11");

        assertThat(run.status).as("stderr: %s", run.err).isEqualTo(Demo.EXIT_OK);
        assertThat(run.out).contains("embedded ZooKeeper server in this JVM on 127.0.0.1:", "OK: with distlock");
    }

    @Test
    void a_backend_outage_fails_the_run_with_distlock_instead_of_passing_for_a_clean_one() throws Exception {
        LocalFaults faults = new LocalFaults();
        DemoOptions options = DemoOptions.defaults().withRequests(200).withReplicas(2).withThreads(2).withSeed(SEED);
        try (Deployment deployment = new FaultyLocalDeployment(faults, 2)) {
            faults.startOutage();
            assertThatThrownBy(() -> Demo.probe(deployment, 2)).isInstanceOf(LockBackendException.class);

            DemoRunner.Results results = DemoRunner.run(options, deployment, Progress.off());

            RunResult with = results.withDistlock();
            assertThat(results.passed()).isFalse();
            assertThat(with.failed()).isGreaterThanOrEqualTo(BargainService.MAX_FAILURES);
            assertThat(with.firstFailure()).contains("LockBackendException");
            assertThat(with.requests()).as("the replay stops dispatching after the failures").isLessThan(200);
            assertThat(with.doubleApplied()).isZero();
            assertThat(Report.failure(results.stream(), with)).contains("FAILED", "requests failed");
        } finally {
            faults.endOutage();
        }
    }

    @Test
    void bad_options_print_the_usage_and_exit_2() {
        for (String[] args : new String[][] {
                {"--replicas", "0"}, {"--requests", "many"}, {"--duplicate-rate", "1"}, {"--frobnicate"},
                {"--requests"}, {"stray"}, {"--backend", "no-scheme"}, {"--backend", "gopher://x"}}) {
            Captured run = Captured.run(args);
            assertThat(run.status).as("exit status for %s", String.join(" ", args)).isEqualTo(Demo.EXIT_USAGE);
            assertThat(run.err).as("stderr for %s", String.join(" ", args)).startsWith("demo: ");
            assertThat(run.out).isEmpty();
        }
        assertThat(Captured.run("--replicas", "0").err).contains("--replicas must be between 1 and", "usage:");
    }

    @Test
    void help_prints_the_usage_with_examples_and_exits_0() {
        Captured run = Captured.run("--help");

        assertThat(run.status).isEqualTo(Demo.EXIT_OK);
        assertThat(run.out).contains("usage: ./demo", "--backend URI", "--duplicate-rate", "examples:");
    }

    @Test
    void the_stream_is_the_same_for_the_same_seed_and_has_the_asked_share_of_duplicates() {
        RequestStream a = RequestStream.generate(1000, 0.3, 3, SEED, 1.0);
        RequestStream b = RequestStream.generate(1000, 0.3, 3, SEED, 1.0);

        assertThat(a.groups()).isEqualTo(b.groups());
        assertThat(a.requests()).isEqualTo(1000);
        assertThat(a.duplicates()).isEqualTo(300);
        assertThat(a.sameReplicaDuplicates() + a.crossReplicaDuplicates()).isEqualTo(300);
        assertThat(a.groups()).allSatisfy(group -> assertThat(group.requests())
                .extracting(RequestStream.Request::lockKey).containsOnly(group.requests().get(0).lockKey()));
        assertThat(RequestStream.generate(5, 0.99, 1, SEED, 1.0).groups()).hasSize(1);
    }

    /** Local managers that share one table and one set of simulated faults, with a short operation timeout. */
    private static final class FaultyLocalDeployment implements Deployment {
        private final List<LockManager> managers = new ArrayList<>();

        FaultyLocalDeployment(LocalFaults faults, int replicas) {
            String name = "demo-faults-" + UUID.randomUUID();
            LockSettings settings = LockSettings.defaults().withOperationTimeout(Duration.ofMillis(20));
            for (int r = 0; r < replicas; r++) {
                managers.add(LocalLockManager.builder().name(name).settings(settings).faults(faults).build());
            }
        }

        @Override
        public String description() {
            return "local managers with faults";
        }

        @Override
        public LockManager manager(int replica) {
            return managers.get(replica);
        }

        @Override
        public void close() {
            managers.forEach(LockManager::close);
        }
    }

    /** One run of the command line with its output captured. */
    private record Captured(int status, String out, String err) {

        static Captured run(String... args) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Demo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), Progress.off(), true, false);
            return new Captured(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}
