package io.distlock.demo;

import io.distlock.LockBackendException;
import io.distlock.LockHandle;
import io.distlock.spi.LockUri;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The command line of {@code ./demo}: a "bargain" service on several replicas receives a stream of requests with
 * duplicates, once without a lock and once with distlock, and the report shows the double applications and how fast
 * distlock turned duplicates away. Run with {@code --help} for the options.
 *
 * <p>Exit status: 0 when the run with distlock applied no cut twice and no request failed; 1 when it did (the
 * message says what happened); 2 for a bad command line; 3 when the backend could not be reached.
 */
public final class Demo {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_BACKEND = 3;

    /** Set by ./demo: whether stderr is a terminal, so the progress bar is drawn; defaults to "is there a console". */
    static final String PROGRESS_PROPERTY = "distlock.demo.progress";

    static final String USAGE = """
            usage: ./demo [options]

            A "bargain" service (cut the price once per user per order) runs as several replicas and receives a
            stream of requests in which some are duplicates (double clicks, client retries) arriving at different
            replicas, and sometimes the same one, at the same moment. The stream runs twice: without a lock, and
            with distlock's tryLock("bargain:" + user + ":" + order). The report counts double applications and
            shows how fast duplicates were turned away. Exit status 0 only if distlock let no duplicate through.

            options:
              --backend URI          lock backend; default: embedded Hazelcast members in this JVM, one per
                                     replica (nothing to install). Also:
                                       redis://127.0.0.1:6379        a running Redis
                                       zookeeper://127.0.0.1:2181    a running ZooKeeper
                                       zookeeper://embedded          a ZooKeeper server started in this JVM
                                       hazelcast://127.0.0.1:5701    an existing Hazelcast cluster (as a client)
                                       local://demo                  in-process, no network
                                     query parameters such as ?lease=10s&timeout=2s are passed to the backend
              --replicas N           replicas of the service, each with its own LockManager (default 3, max 16)
              --requests N           requests in the stream, duplicates included (default 2000)
              --duplicate-rate R     share of duplicates, 0 <= R < 1, as 0.3 or 30% (default 0.3)
              --threads N            worker threads per replica (default 4)
              --seed N               seed of the request stream, to repeat a run exactly
              --help                 this text

            examples:
              ./demo
              ./demo --replicas 5 --requests 10000 --duplicate-rate 0.5
              ./demo --backend redis://127.0.0.1:6379
              ./demo --backend zookeeper://127.0.0.1:2181 --requests 500
              ./demo --backend zookeeper://embedded

            exit status: 0 no double application with distlock; 1 double applications or failed requests;
                         2 bad options; 3 backend unreachable
            """;

    private Demo() {
    }

    public static void main(String[] args) {
        Charset charset = nativeCharset();
        boolean unicode = charset.equals(StandardCharsets.UTF_8);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, charset);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, charset);
        String progressSetting = System.getProperty(PROGRESS_PROPERTY);
        boolean progress = progressSetting == null ? System.console() != null : Boolean.parseBoolean(progressSetting);
        int status = run(args, out, err, progress ? Progress.on(err, unicode) : Progress.off(), unicode,
                System.console() != null);
        out.flush();
        err.flush();
        // Exit explicitly: an embedded member or a client may keep a non-daemon thread alive after closing.
        System.exit(status);
    }

    /** Runs the demo as the command line does and returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err, Progress progress, boolean unicode,
                   boolean outIsTerminal) {
        if (DemoOptions.wantsHelp(args)) {
            out.print(USAGE);
            return EXIT_OK;
        }
        DemoOptions options;
        try {
            options = DemoOptions.parse(args);
        } catch (DemoOptions.UsageException e) {
            err.println("demo: " + e.getMessage());
            err.println();
            err.print(USAGE);
            return EXIT_USAGE;
        }

        Deployment deployment;
        try {
            deployment = open(options, progress);
        } catch (IllegalArgumentException e) {
            progress.clear();
            err.println("demo: --backend: " + e.getMessage());
            return EXIT_USAGE;
        } catch (LockBackendException e) {
            progress.clear();
            err.println("demo: cannot reach the lock backend: " + e.getMessage());
            err.println("      is it running? see ./demo --help");
            return EXIT_BACKEND;
        } catch (RuntimeException e) {
            progress.clear();
            err.println("demo: could not start the lock backend: " + e);
            return EXIT_BACKEND;
        }

        try (deployment) {
            try {
                probe(deployment, options.replicas());
            } catch (LockBackendException e) {
                progress.clear();
                err.println("demo: cannot reach the lock backend: " + e.getMessage());
                err.println("      is it running? see ./demo --help");
                return EXIT_BACKEND;
            }
            DemoRunner.Results results = DemoRunner.run(options, deployment, progress);
            progress.clear();
            out.print(new Report(unicode).format(options, deployment.description(), results));
            if (!results.passed()) {
                if (!outIsTerminal) {
                    // The report went to a file or a pipe: say on stderr why the exit status is not 0.
                    err.print("demo: " + Report.failure(results.stream(), results.withDistlock()).strip() + "\n");
                }
                return EXIT_FAILED;
            }
            return EXIT_OK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("demo: interrupted");
            return EXIT_FAILED;
        } finally {
            progress.clear();
        }
    }

    /**
     * One lock and release per replica before any traffic, so that a backend that is down is reported as such (exit
     * status 3) within one operation timeout, instead of as a replay full of failed requests.
     *
     * @throws LockBackendException if a replica's manager cannot reach the backend
     */
    static void probe(Deployment deployment, int replicas) {
        String key = "demo-probe:" + UUID.randomUUID();
        for (int r = 0; r < replicas; r++) {
            deployment.manager(r).tryLock(key).ifPresent(LockHandle::close);
        }
    }

    /**
     * The deployment the options ask for: embedded Hazelcast members by default, an embedded ZooKeeper server for
     * {@code zookeeper://embedded}, else the backend's URI.
     */
    static Deployment open(DemoOptions options, Progress progress) {
        URI backend = options.backend();
        if (backend == null) {
            progress.status("starting " + options.replicas() + " embedded Hazelcast "
                    + (options.replicas() == 1 ? "member" : "members") + " on 127.0.0.1...");
            return EmbeddedHazelcast.start(options.replicas());
        }
        if (EmbeddedZooKeeper.isRequested(backend)) {
            progress.status("starting an embedded ZooKeeper server on 127.0.0.1...");
            return EmbeddedZooKeeper.start(backend, options.replicas());
        }
        progress.status("connecting " + options.replicas() + " replicas to " + LockUri.redact(backend) + "...");
        return UriDeployment.open(backend, options.replicas());
    }

    private static Charset nativeCharset() {
        try {
            return Charset.forName(System.getProperty("native.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8; // an unknown encoding name: UTF-8 is the safest guess for a terminal
        }
    }
}
