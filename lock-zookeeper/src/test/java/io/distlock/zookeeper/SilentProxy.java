package io.distlock.zookeeper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy in front of a server that can go silent: while silent it keeps accepting and keeps every
 * connection open but forwards nothing in either direction, like a server whose process is stopped (SIGSTOP) or a
 * network that drops packets without resetting connections. Without a target it is silent for good: a server that
 * accepts and never answers.
 */
final class SilentProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean silent;
    private volatile boolean closed;

    /** A proxy to {@code 127.0.0.1:targetPort}, forwarding until {@link #silence()}. */
    static SilentProxy to(int targetPort) throws IOException {
        return new SilentProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
    }

    /** A server that accepts connections and never answers. */
    static SilentProxy neverAnswering() throws IOException {
        return new SilentProxy(null);
    }

    private SilentProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.silent = target == null;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "silent-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String connectString() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    /** Stops forwarding; connections stay open. */
    void silence() {
        silent = true;
    }

    /** Forwards again (what was read while silent is held back, not dropped: TCP keeps it in the buffers). */
    void speak() {
        silent = false;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                if (target == null) {
                    continue;
                }
                Socket server = new Socket();
                server.connect(target, 2_000);
                sockets.add(server);
                pump(client, server);
                pump(server, client);
            } catch (IOException e) {
                if (!closed) {
                    // A refused target: the client sees its connection closed, as from a dead server.
                    continue;
                }
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (from; to) {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (!closed) {
                    if (silent) {
                        // Bounded poll of the flag, no busy loop; nothing is read, so nothing is forwarded.
                        TimeUnit.MILLISECONDS.sleep(5);
                        continue;
                    }
                    int n = in.read(buffer);
                    if (n < 0) {
                        return;
                    }
                    while (silent && !closed) {
                        TimeUnit.MILLISECONDS.sleep(5);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // Connection closed by either side, or the proxy closed.
            }
        }, "silent-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // Closing anyway.
            }
        }
    }
}
