package io.distlock.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * The operators' command line: who holds a key, which keys are held, and an audited force-release, on any backend
 * through its lock URI. Run it from a checkout with {@code ./distlock --help}.
 *
 * <p>Exit codes: {@value #OK} success, {@value #NOT_FOUND} not held / nothing released, {@value #USAGE} usage error
 * (bad arguments, URI or key; nothing was sent), {@value #UNREACHABLE} backend unreachable or failing,
 * {@value #REFUSED} configuration refused by the store (credentials, ACL, TLS), {@value #UNSUPPORTED} the backend
 * cannot be inspected, {@value #INTERNAL} an unexpected error (a bug: please report it).
 */
@Command(name = "distlock",
        mixinStandardHelpOptions = true,
        usageHelpWidth = 100,
        versionProvider = DistlockCli.Version.class,
        header = "Who holds a distributed lock, which are held, and force-release a stuck one.",
        description = {
            "Works on every backend through the lock URI the application uses:",
            "  redis://[user:password@]host:6379[/db]   zookeeper://host:2181[,host:2181][/ns]",
            "  hazelcast://host:5701[?cluster=NAME]     etcd://host:2379[/namespace]",
            "  jdbc:postgresql://host:5432/db?user=U&password=P",
            "Add the key prefix the application uses (?prefix=...; a Spring Boot application",
            "prefixes keys with its spring.application.name and ':' by default), or write it",
            "in front of the key. ?timeout=2s bounds each request (default 3s).",
            "Passwords are never printed. Only 'release' changes anything; no lock is taken.",
            ""},
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {HolderCommand.class, ListCommand.class, ReleaseCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success (the key is held / locks listed / the lock was released)",
            "1:the key is not held; nothing was released",
            "2:usage error: bad arguments, URI or key (nothing was sent)",
            "3:the backend is unreachable or failing (within the URI's timeout)",
            "4:the backend refused the configuration: credentials, ACL, TLS, namespace",
            "5:this backend cannot be inspected",
            "70:unexpected error (a bug: please report it with the message)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  ./distlock holder redis://127.0.0.1:6379 user-update:alice",
            "  ./distlock list 'redis://127.0.0.1:6379?prefix=orders:' user- --limit 50",
            "  ./distlock release zookeeper://127.0.0.1:2181 nightly-report \\",
            "      --reason \"INC-42: the job hung\"",
            "  ./distlock help release"})
public final class DistlockCli implements Callable<Integer> {

    /** Exit code: success. */
    public static final int OK = 0;
    /** Exit code: the key is not held, or nothing was released. */
    public static final int NOT_FOUND = 1;
    /** Exit code: bad arguments, URI or key; nothing was sent to the backend. */
    public static final int USAGE = 2;
    /** Exit code: the backend did not answer within the timeout, or failed. */
    public static final int UNREACHABLE = 3;
    /** Exit code: the store refused the configuration (credentials, ACL, TLS, namespace). */
    public static final int REFUSED = 4;
    /** Exit code: the backend cannot be inspected. */
    public static final int UNSUPPORTED = 5;
    /** Exit code: an unexpected error. */
    public static final int INTERNAL = 70;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    private DistlockCli() {
    }

    /**
     * Runs the CLI and exits the JVM with its exit code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /**
     * Runs the CLI in this JVM, e.g. from a test.
     *
     * @param out where results go
     * @param err where errors and the audit log line go
     * @param args the command line
     * @return the exit code
     */
    public static int run(PrintStream out, PrintStream err, String... args) {
        quietClients();
        Secrets secrets = Secrets.of(Arrays.asList(args));
        PrintWriter outWriter = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine commandLine = new CommandLine(new DistlockCli())
                .setOut(outWriter)
                .setErr(errWriter)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setParameterExceptionHandler((e, arguments) -> {
                    // picocli quotes unmatched arguments, which may be a URI with its password.
                    errWriter.println("distlock: " + secrets.scrub(e.getMessage()));
                    if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, errWriter)) {
                        errWriter.println("Run './distlock " + helpFor(e.getCommandLine()) + "' for usage.");
                    }
                    return USAGE;
                })
                .setExecutionExceptionHandler((e, cl, parseResult) -> {
                    errWriter.println("distlock: unexpected error: " + secrets.scrub(String.valueOf(e)));
                    return INTERNAL;
                });
        commandLine.getSubcommands().values().forEach(sub -> {
            if (sub.getCommand() instanceof LockCommand lockCommand) {
                lockCommand.secrets = secrets;
            }
        });
        try {
            return commandLine.execute(args);
        } finally {
            outWriter.flush();
            errWriter.flush();
        }
    }

    private static String helpFor(CommandLine commandLine) {
        return commandLine.getParent() == null ? "--help" : "help " + commandLine.getCommandName();
    }

    /** Without a command: the usage, on stderr, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("distlock: which command? holder, list, release or help");
        spec.commandLine().usage(spec.commandLine().getErr());
        return USAGE;
    }

    /**
     * The clients' own chatter (connection pools, cluster membership) stays off: only their errors, distlock's
     * warnings and the force-release audit line reach stderr. Set before any client logs, as both read it once.
     */
    private static void quietClients() {
        if (System.getProperty("hazelcast.logging.type") == null) {
            System.setProperty("hazelcast.logging.type", "slf4j");
        }
    }

    /** The version of the jar, or of the checkout. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = DistlockCli.class.getPackage().getImplementationVersion();
            return new String[] {"distlock " + (version == null ? "(built from a checkout)" : version)};
        }
    }
}
