package io.distlock.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Usage errors exit 2 before anything is sent, and no message quotes a password. */
class CliUsageTest {

    @Test
    void no_command_prints_the_usage_and_exits_2() {
        Cli cli = Cli.run();

        assertThat(cli.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(cli.err()).contains("which command?", "Usage: distlock");
    }

    @Test
    void help_lists_the_commands_and_every_exit_code() {
        Cli cli = Cli.run("--help");

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.out()).contains("holder", "list", "release", "Exit codes:", "0    success",
                "1    the key is not held", "2    usage error", "3    the backend is unreachable",
                "4    the backend refused the configuration", "5    this backend cannot be inspected");
    }

    @Test
    void help_of_a_command() {
        Cli help = Cli.run("help", "release");
        Cli flag = Cli.run("list", "--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Usage: distlock release", "--reason=TEXT", "fencing");
        assertThat(flag.exitCode()).isZero();
        assertThat(flag.out()).contains("Usage: distlock list", "--limit=N");
    }

    @Test
    void a_mistyped_command_is_a_usage_error_that_does_not_quote_the_password() {
        Cli cli = Cli.run("holdr", "redis://locker:hunter22@127.0.0.1:6379", "k");

        assertThat(cli.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(cli.err()).contains("holder").doesNotContain("hunter22");
    }

    @Test
    void a_malformed_uri_is_a_usage_error_that_does_not_quote_the_password() {
        Cli cli = Cli.run("holder", "redis://:hunter 22@127.0.0.1:6379", "k");

        assertThat(cli.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(cli.err()).contains("not a lock URI").doesNotContain("hunter");
    }

    @Test
    void an_unknown_scheme_or_parameter_is_a_usage_error() {
        Cli scheme = Cli.run("holder", "redsi://127.0.0.1:6379", "k");
        Cli parameter = Cli.run("holder", "redis://:hunter22@127.0.0.1:6379?leese=10s", "k");

        assertThat(scheme.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(scheme.err()).contains("unknown lock URI scheme 'redsi'");
        assertThat(parameter.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(parameter.err()).contains("leese").doesNotContain("hunter22");
    }

    @Test
    void missing_arguments_and_a_bad_limit_are_usage_errors() {
        assertThat(Cli.run("holder", "local://x").exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(Cli.run("list").exitCode()).isEqualTo(DistlockCli.USAGE);
        Cli limit = Cli.run("list", "local://x", "--limit", "0");
        assertThat(limit.exitCode()).isEqualTo(DistlockCli.USAGE);
        assertThat(limit.err()).contains("--limit must be at least 1");
    }

    @Test
    void redaction_covers_user_info_and_password_parameters() {
        assertThat(Secrets.redact("redis://locker:hunter22@h:6379/0")).isEqualTo("redis://locker:***@h:6379/0");
        assertThat(Secrets.redact("redis://hunter22@h:6379")).isEqualTo("redis://***@h:6379");
        assertThat(Secrets.redact("jdbc:postgresql://h/db?user=app&password=hunter22&sslmode=require"))
                .isEqualTo("jdbc:postgresql://h/db?user=app&password=***&sslmode=require");
        assertThat(Secrets.redact("jdbc:mariadb://app:hunter22@h/db")).isEqualTo("jdbc:mariadb://app:***@h/db");
        assertThat(Secrets.of(java.util.List.of("zookeeper://app:hunter22@h1:2181,h2:2181/x"))
                .scrub("auth failed for app:hunter22")).isEqualTo("auth failed for app:***");
    }
}
