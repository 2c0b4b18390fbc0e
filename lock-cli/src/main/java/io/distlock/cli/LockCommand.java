package io.distlock.cli;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import io.distlock.LockInspector;
import io.distlock.LockManager;
import io.distlock.LockManagers;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.concurrent.Callable;

/**
 * What every command shares: the lock URI, the output options, opening (and always closing) a manager on the
 * backend, and turning its exceptions into exit codes and messages without secrets.
 */
abstract class LockCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "URI",
            description = "The lock URI of the backend, as the application uses it (add ?prefix=... if it uses "
                    + "one; ?timeout=2s bounds each request, default 3s).")
    String uri;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Set by {@link DistlockCli#run} before executing. */
    Secrets secrets = Secrets.of(java.util.List.of());

    /** Runs the command on an open inspector; returns the exit code. */
    abstract int execute(LockInspector inspector, PrintWriter out, String where);

    /** Checks the arguments before anything is sent; returns a message for a usage error, or null. */
    String checkArguments() {
        return null;
    }

    @Override
    public final Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String problem = checkArguments();
        if (problem != null) {
            return usage(err, problem);
        }
        URI parsed;
        try {
            parsed = new URI(uri.strip());
        } catch (URISyntaxException e) {
            // The message quotes the input, password and all: say where the error is instead.
            return usage(err, "not a lock URI: " + e.getReason() + (e.getIndex() >= 0 ? " at character "
                    + (e.getIndex() + 1) : "") + " of '" + Secrets.redact(uri) + "'");
        }
        String where = Secrets.redact(uri.strip());
        LockManager manager;
        try {
            // The URI's own settings, so that what the application accepts is accepted here. The manager only
            // reads and force-releases: it never acquires, so it holds nothing and has nothing to renew (etcd's
            // shared lease, say, is granted at the first acquisition only). Some backends refuse renewal=false
            // (ZooKeeper), so the setting is left as the URI says.
            manager = LockManagers.create(parsed);
        } catch (RuntimeException e) {
            return failure(err, e, where);
        }
        try (manager) {
            return execute(manager.inspector(), spec.commandLine().getOut(), where);
        } catch (RuntimeException e) {
            return failure(err, e, where);
        }
    }

    private int failure(PrintWriter err, RuntimeException e, String where) {
        String message = secrets.scrub(e.getMessage() == null ? e.toString() : e.getMessage());
        if (e instanceof LockConfigurationException) {
            err.println("distlock: " + where + " refused the configuration: " + message);
            return DistlockCli.REFUSED;
        }
        if (e instanceof LockBackendException) {
            err.println("distlock: " + where + " did not answer or failed: " + message);
            return DistlockCli.UNREACHABLE;
        }
        if (e instanceof UnsupportedOperationException) {
            err.println("distlock: the backend of " + where + " cannot be inspected: " + message);
            return DistlockCli.UNSUPPORTED;
        }
        if (e instanceof IllegalArgumentException || e instanceof NullPointerException) {
            return usage(err, message);
        }
        err.println("distlock: unexpected error on " + where + ": " + secrets.scrub(e.toString()));
        return DistlockCli.INTERNAL;
    }

    private int usage(PrintWriter err, String message) {
        err.println("distlock: " + secrets.scrub(message));
        err.println("Run './distlock help " + spec.name() + "' for usage.");
        return DistlockCli.USAGE;
    }
}
