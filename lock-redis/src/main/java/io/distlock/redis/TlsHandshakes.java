package io.distlock.redis;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.redisson.client.NettyHook;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Records how the client's TLS handshakes end. Redisson does not pass a failed handshake on: a {@code rediss://}
 * client that does not trust the server's certificate only sees its connection close, and one against a
 * plain-text port usually sees nothing at all (Redis reads the TLS ClientHello as the start of an inline command
 * and waits for its end), so both came out as a timeout. Here a failed handshake is kept, so that
 * {@link RedisFailures} can name it, and one still pending after half the operation timeout is told from a silent
 * host by one plain-text {@code PING} to the same address. Wraps the hook a {@code configure(...)}
 * customizer may have set, so both run. Thread safe.
 */
final class TlsHandshakes implements NettyHook {

    private final NettyHook delegate;
    private final Duration timeout;
    /** When a handshake still pending is looked into: well before the connect gives up. */
    private final Duration probeAfter;
    /** The last handshake's failure, explained; cleared by a handshake that succeeds. */
    private final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    /** Completed with the first failure: connecting need not wait for Redisson to give up. */
    private final CompletableFuture<Throwable> firstFailure = new CompletableFuture<>();
    /** A server whose handshake never got an answer, for {@link #diagnose}. */
    private volatile InetSocketAddress unanswered;
    private volatile boolean succeeded;

    TlsHandshakes(NettyHook delegate, Duration timeout) {
        this.delegate = delegate;
        this.timeout = timeout;
        this.probeAfter = timeout.dividedBy(2);
    }

    @Override
    public void afterBoostrapInitialization(Bootstrap bootstrap) {
        if (delegate != null) {
            delegate.afterBoostrapInitialization(bootstrap);
        }
    }

    @Override
    public void afterChannelInitialization(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl != null) {
            // A connect that fails (a closed port) also fails the handshake ("SslHandler removed before handshake
            // completed"), which is an outage, not the configuration's fault: only a channel that got connected can
            // have a handshake that failed for a TLS reason.
            AtomicBoolean connected = new AtomicBoolean();
            channel.pipeline().addFirst(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelActive(ChannelHandlerContext ctx) {
                    connected.set(true);
                    ctx.fireChannelActive();
                }
            });
            ssl.handshakeFuture().addListener(f -> {
                if (f.isSuccess()) {
                    lastFailure.set(null);
                    succeeded = true;
                } else if (!connected.get()) {
                    // Never connected: nothing was said in TLS, the connect's own failure is the story.
                } else if (!(f.cause() instanceof ClosedChannelException)
                        && !(f.cause() instanceof SslHandshakeTimeoutException)) {
                    // A timeout is a silent server (an outage) as often as a plain-text one: the probe decides.
                    failed(f.cause());
                } else if (channel.remoteAddress() instanceof InetSocketAddress address) {
                    // Closed before the server said anything in TLS: Redisson gave up on it.
                    unanswered = address;
                }
            });
            // Netty's own handshake timeout does not fire under Redisson (seen with 4.1.127), and a silent
            // handshake is either a silent host (an outage, not ours to name) or a plain-text server: after the
            // operation timeout, ask the address in plain text, off the event loop, which must not block.
            channel.eventLoop().schedule(() -> {
                if (!ssl.handshakeFuture().isDone() && channel.remoteAddress() instanceof InetSocketAddress address) {
                    unanswered = address;
                    Thread probe = new Thread(() -> {
                        if (answersPlainText(address)) {
                            failed(new SSLException("not an SSL/TLS record: the server at " + address.getHostString()
                                    + ":" + address.getPort() + " did not answer the TLS handshake but answers "
                                    + "plain-text Redis commands"));
                        }
                    }, "distlock-redis-tls-probe");
                    probe.setDaemon(true);
                    probe.start();
                }
            }, Math.max(1, probeAfter.toMillis()), TimeUnit.MILLISECONDS);
        }
        if (delegate != null) {
            delegate.afterChannelInitialization(channel);
        }
    }

    private void failed(Throwable cause) {
        lastFailure.set(cause);
        firstFailure.complete(cause);
    }

    /**
     * After a failed connect: the handshake failure if one was recorded; otherwise, if a handshake never got an
     * answer and none ever succeeded, asks that server in plain text now (the background probe may not have run
     * yet on a loaded machine). Blocks for at most about half a second.
     */
    Optional<Throwable> diagnose() {
        Optional<Throwable> recorded = lastFailure();
        InetSocketAddress address = unanswered;
        if (recorded.isPresent() || address == null || succeeded) {
            return recorded;
        }
        if (answersPlainText(address)) {
            failed(new SSLException("not an SSL/TLS record: the server at " + address.getHostString() + ":"
                    + address.getPort() + " did not answer the TLS handshake but answers plain-text Redis commands"));
        }
        return lastFailure();
    }

    /** Completes with the first handshake failure, if one happens. */
    CompletableFuture<Throwable> firstFailure() {
        return firstFailure;
    }

    /** The failure of the last handshake, if it failed for a reason that is the configuration's. */
    Optional<Throwable> lastFailure() {
        return Optional.ofNullable(lastFailure.get());
    }

    /** Whether {@code address} answers a plain-text RESP {@code PING} (with PONG or an error such as NOAUTH). */
    private boolean answersPlainText(InetSocketAddress address) {
        int millis = (int) Math.max(1, Math.min(500, timeout.toMillis()));
        try (Socket socket = new Socket()) {
            socket.connect(address, millis);
            socket.setSoTimeout(millis);
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            int first = in.read();
            return first == '+' || first == '-';
        } catch (IOException e) {
            return false;
        }
    }
}
