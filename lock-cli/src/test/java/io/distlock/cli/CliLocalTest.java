package io.distlock.cli;

import java.util.UUID;

/** The commands on the in-process backend: the CLI's manager and the application's share the JVM's table. */
class CliLocalTest extends CliStoreTest {

    private final String uri = "local://cli-" + UUID.randomUUID();

    @Override
    String uri() {
        return uri;
    }
}
