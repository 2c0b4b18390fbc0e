package io.distlock.cli;

import io.distlock.LockInfo;
import io.distlock.LockInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Optional;

/** {@code distlock release URI KEY --reason TEXT}: the audited force-release. */
@Command(name = "release", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        header = "Force-release KEY from whoever holds it, for an incident.",
        description = {
            "Reads the holder, then releases exactly that holder's lock: a lock that changed hands in between is "
                + "left alone. The release is logged at WARN (logger io.distlock.inspection, on stderr) with the "
                + "holder and your reason: keep that line in the incident log.",
            "",
            "The holder does not stop at once: it learns at its next renewal (at once where the store tells it) and "
                + "reports its lock lost; until then it may still write. The next holder gets a higher fencing "
                + "token, which is what lets a resource reject the old holder's late writes. Releasing a lock whose "
                + "holder is still working lets a duplicate run alongside it: check 'holder' first.",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:released", "1:KEY was not held (or changed hands meanwhile): nothing released",
            "2:usage error (a --reason is required)", "3:backend unreachable", "4:configuration refused",
            "5:backend cannot be inspected"})
final class ReleaseCommand extends LockCommand {

    @Parameters(index = "1", paramLabel = "KEY", description = "The lock key, as the application passes it.")
    String key;

    @Option(names = "--reason", paramLabel = "TEXT", required = true,
            description = "Why, for the audit log (e.g. the incident id). Required.")
    String reason;

    @Override
    String checkArguments() {
        return reason.isBlank() ? "--reason must say why the lock is released (the audit log keeps it)" : null;
    }

    @Override
    int execute(LockInspector inspector, PrintWriter out, String where) {
        String audited = reason.strip() + " (by " + System.getProperty("user.name", "unknown")
                + " with the distlock command line)";
        Optional<LockInfo> released = inspector.forceRelease(key, audited);
        Instant now = Instant.now();
        if (released.isEmpty()) {
            out.println(json ? "{\"key\":" + Format.quote(key) + ",\"released\":false}"
                    : Format.printable(key) + " was not held on " + where
                            + " (or changed hands meanwhile): nothing released");
            return DistlockCli.NOT_FOUND;
        }
        LockInfo lock = released.get();
        if (json) {
            out.println("{\"key\":" + Format.quote(key) + ",\"released\":true,\"holder\":" + Format.json(lock, now)
                    + "}");
            return DistlockCli.OK;
        }
        out.println("released " + Format.printable(key) + " on " + where + "; it was held by");
        Format.holderLines(lock, now).stream().skip(1).forEach(out::println);
        out.println("That holder reports the lock lost at its next renewal; until then it may still write, so "
                + "fence writes with the token (the next holder's is higher than " + Format.token(lock) + ").");
        return DistlockCli.OK;
    }
}
