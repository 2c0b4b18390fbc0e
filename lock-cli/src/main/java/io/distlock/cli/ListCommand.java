package io.distlock.cli;

import io.distlock.LockInfo;
import io.distlock.LockInspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/** {@code distlock list URI [PREFIX] [--limit N]}: the held keys, through every page. */
@Command(name = "list", mixinStandardHelpOptions = true, usageHelpWidth = 100,
        header = "List the held locks whose key starts with PREFIX (all by default).",
        description = {"Pages through the store's listing (a Redis SCAN, ZooKeeper's children, ...) and shows each "
            + "key once. The listing is weakly consistent: a lock held throughout is shown; one taken or released "
            + "meanwhile may or may not be.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:listed (also when none is held)", "2:usage error", "3:backend unreachable",
            "4:configuration refused", "5:backend cannot be inspected"})
final class ListCommand extends LockCommand {

    /** The most locks asked for per request: the largest page the inspector serves. */
    static final int PAGE_SIZE = 1000;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PREFIX", defaultValue = "",
            description = "Only keys starting with this (after the URI's prefix). Default: all.")
    String prefix;

    @Option(names = "--limit", paramLabel = "N",
            description = "Show at most N locks (default: all of them).")
    Integer limit;

    @Override
    String checkArguments() {
        return limit != null && limit < 1 ? "--limit must be at least 1, got " + limit : null;
    }

    @Override
    int execute(LockInspector inspector, PrintWriter out, String where) {
        int max = limit == null ? Integer.MAX_VALUE : limit;
        // Pages may repeat a key (a SCAN does): the latest view of each key wins, in the order first seen.
        Map<String, LockInfo> locks = new LinkedHashMap<>();
        boolean more = false;
        String cursor = null;
        do {
            LockInspector.Page page = inspector.list(prefix, cursor, PAGE_SIZE);
            for (LockInfo lock : page.locks()) {
                if (locks.size() < max || locks.containsKey(lock.key())) {
                    locks.put(lock.key(), lock);
                } else {
                    more = true;
                }
            }
            cursor = page.nextCursor();
        } while (cursor != null && !more && locks.size() < max);
        // Stopped at the limit with pages left: there may be more (or only repeats); say so rather than guess.
        more |= cursor != null;
        List<LockInfo> shown = new ArrayList<>(locks.values());
        Instant now = Instant.now();
        if (json) {
            StringJoiner items = new StringJoiner(",", "[", "]");
            shown.forEach(lock -> items.add(Format.json(lock, now)));
            out.println("{\"prefix\":" + Format.quote(prefix) + ",\"count\":" + shown.size() + ",\"complete\":"
                    + !more + ",\"locks\":" + items + "}");
            return DistlockCli.OK;
        }
        String under = prefix.isEmpty() ? "" : " under '" + Format.printable(prefix) + "'";
        if (shown.isEmpty()) {
            out.println("no locks held" + under + " on " + where);
            return DistlockCli.OK;
        }
        Format.table(shown, now).forEach(out::println);
        out.println();
        out.println(shown.size() + (shown.size() == 1 ? " lock" : " locks") + " held" + under + " on " + where
                + (more ? " (the first " + shown.size() + "; more may be held: raise --limit)" : ""));
        return DistlockCli.OK;
    }
}
