package io.distlock.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in this JVM and keeps what it printed, log lines included; one run at a time. */
record Cli(int exitCode, String out, String err) {

    static Cli run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        // The log lines (the force-release audit line) go to System.err, as slf4j-simple resolves it per line.
        PrintStream systemErr = System.err;
        System.setErr(errStream);
        int code;
        try {
            code = DistlockCli.run(new PrintStream(out, true, StandardCharsets.UTF_8), errStream, args);
        } finally {
            System.setErr(systemErr);
        }
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
