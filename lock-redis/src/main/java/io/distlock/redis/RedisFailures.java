package io.distlock.redis;

import io.distlock.LockBackendException;
import io.distlock.LockConfigurationException;
import org.redisson.client.RedisAuthRequiredException;
import org.redisson.client.RedisWrongPasswordException;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.net.ConnectException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/**
 * Turns what Redisson throws into the exception a user can act on. A server that answers but refuses this client's
 * configuration (wrong or missing password, a database that does not exist, an ACL user without a command distlock
 * needs, a failed TLS handshake) gives {@link LockConfigurationException}; everything else (refused or silent
 * connections, timeouts) a plain {@link LockBackendException}. Redisson wraps the server's reply five or six causes
 * down under "Unable to connect to Redis server", with netty channel dumps in every message, so the first line here
 * is a plain sentence with the real cause, and the server's own words follow on the next line.
 *
 * <p>Messages never contain credentials: Redis error replies do not quote them, and Redisson masks AUTH's
 * arguments; the server text is cut before Redisson's channel and command dump anyway. Immutable and thread safe.
 */
final class RedisFailures {

    private final String description;
    private final String user;
    private final Integer database;
    /** The last TLS handshake failure of the client, if it records them (a client distlock built). */
    private final Supplier<Optional<Throwable>> tlsFailure;

    RedisFailures(String description, String user, Integer database, Supplier<Optional<Throwable>> tlsFailure) {
        this.description = description;
        this.user = user == null ? "default" : user;
        this.database = database;
        this.tlsFailure = tlsFailure;
    }

    /** For a caller's client: nothing known about its user, database or TLS handshakes. */
    static RedisFailures of(String description) {
        return new RedisFailures(description, null, null, Optional::empty);
    }

    String description() {
        return description;
    }

    /**
     * The exception for {@code what} (an action such as {@code "acquiring lock 'k'"}, or {@code "connecting"})
     * having failed with {@code cause}.
     */
    LockBackendException failed(String what, Throwable cause) {
        String refusal = refusal(cause);
        if (refusal != null) {
            return new LockConfigurationException(refusal + " (" + what + " on " + description + ")"
                    + serverSaid(cause), cause);
        }
        Optional<Throwable> tls = tlsFailure.get();
        if (tls.isPresent()) {
            return new LockConfigurationException(tlsSentence(tls.get()) + " (" + what + " on " + description + ")",
                    tls.get());
        }
        return new LockBackendException(what + " on " + description + " failed: " + plain(cause), cause);
    }

    /**
     * {@code what} timed out. If the client recorded a failed TLS handshake meanwhile, that is the cause: a
     * {@code rediss://} client against a plain-text port sees no reply at all, only a connection that closes.
     */
    LockBackendException timedOut(String what, long millis, String ifGivenUp, Throwable cause) {
        Optional<Throwable> tls = tlsFailure.get();
        if (tls.isPresent()) {
            return new LockConfigurationException(tlsSentence(tls.get()) + " (" + what + " on " + description + ")",
                    tls.get());
        }
        return new LockBackendException(what + " on " + description + " timed out after " + millis + " ms"
                + ifGivenUp, cause);
    }

    /**
     * The release subscription was not confirmed in time although the server answers other calls: Redis refuses
     * SUBSCRIBE to a user without the command or the channel, and Redisson drops that reply.
     */
    LockConfigurationException subscriptionRefused(String what, String channel, long millis, Throwable cause) {
        return new LockConfigurationException("the Redis user '" + user + "' is probably not allowed to subscribe "
                + "to channel '" + channel + "' (SUBSCRIBE and &" + channel + " in its ACL): Redis answers other "
                + "calls but did not confirm the subscription within " + millis + " ms (" + what + " on "
                + description + ")", cause);
    }

    /** The plain sentence for a configuration the server refused, or null if {@code cause} is no such refusal. */
    private String refusal(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String text = serverText(t);
            String upper = text.toUpperCase(Locale.ROOT);
            if (t instanceof RedisWrongPasswordException || upper.startsWith("WRONGPASS")) {
                return "Redis refused the password for user '" + user + "' (WRONGPASS: wrong password, unknown "
                        + "user or disabled user)";
            }
            if (t instanceof RedisAuthRequiredException || upper.startsWith("NOAUTH")) {
                return "Redis requires a password and none was sent (NOAUTH): set password(...) or put it in the "
                        + "URI as redis://PASSWORD@host or redis://USER:PASSWORD@host";
            }
            if (upper.contains("CALLED WITHOUT ANY PASSWORD CONFIGURED")) {
                return "a password was sent but Redis has none configured for user 'default'";
            }
            if (upper.contains("DB INDEX IS OUT OF RANGE")) {
                return "Redis has no database " + (database == null ? "with that index" : database.toString())
                        + " (ERR DB index is out of range): valid indexes are 0 to the server's 'databases' "
                        + "setting minus one (0-15 by default)";
            }
            if (upper.startsWith("NOPERM") || upper.contains(" NOPERM ")) {
                return "the Redis user '" + user + "' is not allowed what distlock needs ("
                        + text.replaceFirst("(?i)^NOPERM\\s*", "") + "): grant the minimal ACL of the "
                        + "lock-redis README";
            }
            if (upper.contains("CAN'T RUN THIS COMMAND OR SUBCOMMAND")) {
                // A command inside a script; Redis does not say which.
                return "the Redis user '" + user + "' is not allowed a command that distlock's scripts run "
                        + "(Redis does not say which; they run GET, SET, PTTL, PEXPIRE, DEL, TIME and PUBLISH): "
                        + "grant the minimal ACL of the lock-redis README";
            }
            if (t instanceof SSLException && !(t instanceof io.netty.handler.ssl.SslHandshakeTimeoutException)) {
                return tlsSentence(t);
            }
        }
        return null;
    }

    private static String tlsSentence(Throwable t) {
        String name = t.getClass().getSimpleName();
        String message = String.valueOf(t.getMessage());
        if (name.equals("NotSslRecordException") || message.toLowerCase(Locale.ROOT).contains("not an ssl/tls")) {
            return "the TLS handshake failed: the server did not answer in TLS (a plain-text port? use redis:// "
                    + "for it, or the server's tls-port)";
        }
        if (t instanceof SSLHandshakeException && message.contains("PKIX")) {
            return "the TLS handshake failed: the server's certificate is not trusted (add its CA to a trust "
                    + "store, see configure(...) in the lock-redis README)";
        }
        return "the TLS handshake failed: " + message;
    }

    /** The server's own words, on a second line, if the reply came from the server. */
    private static String serverSaid(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof org.redisson.client.RedisException
                    && !(t instanceof org.redisson.client.RedisConnectionException)
                    && !(t instanceof org.redisson.client.RedisTimeoutException)) {
                return "\nRedis replied: " + serverText(t);
            }
        }
        return "";
    }

    /**
     * A failure that is not a refusal, said plainly: the innermost meaningful message without Redisson's channel
     * dumps, and no class name first.
     */
    static String plain(Throwable cause) {
        Throwable root = cause;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!(t instanceof ExecutionException) && !(t instanceof CompletionException)) {
                root = t;
            }
        }
        if (root instanceof ConnectException) {
            return "connection refused";
        }
        if (root instanceof org.redisson.client.RedisTimeoutException) {
            return "the server did not answer in time";
        }
        String text = serverText(root);
        if (text.isEmpty() || text.equals("null")) {
            text = root.getClass().getSimpleName();
        }
        return text;
    }

    /** A Redisson message cut before its channel and command dump: the server's reply or Redisson's reason. */
    static String serverText(Throwable t) {
        String message = t.getMessage();
        if (message == null) {
            return "";
        }
        int cut = message.length();
        for (String marker : new String[] {". channel:", " channel:", ". command:", " command:", ", params:"}) {
            int i = message.indexOf(marker);
            if (i >= 0 && i < cut) {
                cut = i;
            }
        }
        return message.substring(0, cut).trim();
    }
}
