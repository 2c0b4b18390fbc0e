package io.distlock.demo;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * The demo's command line, parsed and validated. Immutable.
 *
 * @param backend the lock backend URI, or null for the default: embedded Hazelcast members, one per replica
 * @param replicas how many replicas of the service run, each with its own lock manager and thread pool
 * @param requests how many requests the stream holds, duplicates included
 * @param duplicateRate the share of the requests that are duplicates of another request, in [0, 1)
 * @param threads worker threads per replica
 * @param seed seed of the request stream, so that a run can be repeated
 */
record DemoOptions(URI backend, int replicas, int requests, double duplicateRate, int threads, long seed) {

    static final int DEFAULT_REPLICAS = 3;
    static final int DEFAULT_REQUESTS = 2000;
    static final double DEFAULT_DUPLICATE_RATE = 0.3;
    static final int DEFAULT_THREADS = 4;
    static final int MAX_REPLICAS = 16;
    static final int MAX_REQUESTS = 1_000_000;
    static final int MAX_THREADS = 256;

    DemoOptions {
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            throw new UsageException("--replicas must be between 1 and " + MAX_REPLICAS + ", got " + replicas);
        }
        if (requests < 1 || requests > MAX_REQUESTS) {
            throw new UsageException("--requests must be between 1 and " + MAX_REQUESTS + ", got " + requests);
        }
        if (!(duplicateRate >= 0 && duplicateRate < 1)) {
            throw new UsageException("--duplicate-rate must be at least 0 and below 1, got " + duplicateRate);
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new UsageException("--threads must be between 1 and " + MAX_THREADS + ", got " + threads);
        }
    }

    static DemoOptions defaults() {
        return new DemoOptions(null, DEFAULT_REPLICAS, DEFAULT_REQUESTS, DEFAULT_DUPLICATE_RATE, DEFAULT_THREADS,
                System.nanoTime());
    }

    DemoOptions withBackend(URI backend) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    DemoOptions withReplicas(int replicas) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    DemoOptions withRequests(int requests) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    DemoOptions withDuplicateRate(double duplicateRate) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    DemoOptions withThreads(int threads) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    DemoOptions withSeed(long seed) {
        return new DemoOptions(backend, replicas, requests, duplicateRate, threads, seed);
    }

    /** Whether {@code --help} was asked; checked before anything else is parsed. */
    static boolean wantsHelp(String[] args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses {@code --name value} and {@code --name=value}.
     *
     * @throws UsageException naming the offending option when an option is unknown, lacks its value or has a bad one
     */
    static DemoOptions parse(String[] args) {
        Objects.requireNonNull(args, "args must not be null");
        DemoOptions options = defaults();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            if (!isKnown(name)) {
                throw new UsageException("unknown option '" + name + "'");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException(name + " needs a value");
                }
                value = args[++i];
            }
            options = switch (name) {
                case "--backend" -> options.withBackend(parseUri(value));
                case "--replicas" -> options.withReplicas(parseInt(name, value));
                case "--requests" -> options.withRequests(parseInt(name, value));
                case "--duplicate-rate" -> options.withDuplicateRate(parseRate(value));
                case "--threads" -> options.withThreads(parseInt(name, value));
                case "--seed" -> options.withSeed(parseLong(name, value));
                default -> throw new IllegalStateException("option " + name + " is known but not handled");
            };
        }
        return options;
    }

    private static boolean isKnown(String name) {
        return switch (name) {
            case "--backend", "--replicas", "--requests", "--duplicate-rate", "--threads", "--seed" -> true;
            default -> false;
        };
    }

    private static URI parseUri(String value) {
        try {
            URI uri = new URI(value);
            if (uri.getScheme() == null) {
                throw new UsageException("--backend needs a URI with a scheme (redis://, zookeeper://, hazelcast://, "
                        + "local://), got '" + value + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new UsageException("--backend: '" + value + "' is not a URI: " + e.getReason());
        }
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a whole number, got '" + value + "'");
        }
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(name + " needs a whole number, got '" + value + "'");
        }
    }

    /** Accepts a fraction ({@code 0.3}) or a percentage ({@code 30%}). */
    private static double parseRate(String value) {
        try {
            String text = value.trim().toLowerCase(Locale.ROOT);
            if (text.endsWith("%")) {
                return Double.parseDouble(text.substring(0, text.length() - 1)) / 100;
            }
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new UsageException("--duplicate-rate needs a fraction such as 0.3 or a percentage such as 30%, got '"
                    + value + "'");
        }
    }

    /** A command line the demo cannot run; the message says what to fix. Exit status 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
