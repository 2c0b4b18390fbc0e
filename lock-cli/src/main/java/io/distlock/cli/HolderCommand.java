package io.distlock.cli;

import io.distlock.LockInfo;
import io.distlock.LockInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.Optional;

/** {@code distlock holder URI KEY}: who holds one key, anywhere. */
@Command(name = "holder", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        header = "Show who holds KEY: manager, thread, since when, fencing token, lease left.",
        description = {"Asks the store once; it never takes the lock. Exit code 0 if KEY is held, 1 if not.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:KEY is held", "1:KEY is not held", "2:usage error", "3:backend unreachable",
            "4:configuration refused", "5:backend cannot be inspected"})
final class HolderCommand extends LockCommand {

    @Parameters(index = "1", paramLabel = "KEY", description = "The lock key, as the application passes it.")
    String key;

    @Override
    int execute(LockInspector inspector, PrintWriter out, String where) {
        Optional<LockInfo> holder = inspector.holder(key);
        Instant now = Instant.now();
        if (holder.isEmpty()) {
            out.println(json ? "{\"key\":" + Format.quote(key) + ",\"held\":false}"
                    : Format.printable(key) + " is not held on " + where);
            return DistlockCli.NOT_FOUND;
        }
        if (json) {
            out.println(Format.json(holder.get(), now));
        } else {
            Format.holderLines(holder.get(), now).forEach(out::println);
        }
        return DistlockCli.OK;
    }
}
