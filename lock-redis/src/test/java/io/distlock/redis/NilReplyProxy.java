package io.distlock.redis;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback proxy in front of a real redis-server that answers chosen commands with nil ({@code $-1}) itself, as a
 * misbehaving proxy or a half-compatible server would, and forwards everything else. One command at a time per
 * connection (Redisson's lock calls and connection set-up are request/reply), so replies stay in order.
 * {@link #close()} stops it and every connection.
 */
final class NilReplyProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int target;
    private final Set<String> nilCommands;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    NilReplyProxy(int targetPort, Set<String> nilCommands) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = targetPort;
        this.nilCommands = nilCommands;
        Thread acceptor = new Thread(this::accept, "nil-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
                sockets.add(client);
                sockets.add(server);
                Thread t = new Thread(() -> serve(client, server), "nil-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket client, Socket server) {
        try (client; server) {
            InputStream fromClient = new BufferedInputStream(client.getInputStream());
            OutputStream toClient = client.getOutputStream();
            InputStream fromServer = new BufferedInputStream(server.getInputStream());
            OutputStream toServer = server.getOutputStream();
            while (true) {
                ByteArrayOutputStream raw = new ByteArrayOutputStream();
                List<String> command = readCommand(fromClient, raw);
                if (command == null) {
                    return;
                }
                if (!command.isEmpty() && nilCommands.contains(command.get(0).toUpperCase(Locale.ROOT))) {
                    toClient.write("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    toServer.write(raw.toByteArray());
                    toServer.flush();
                    ByteArrayOutputStream reply = new ByteArrayOutputStream();
                    readReply(fromServer, reply);
                    toClient.write(reply.toByteArray());
                }
                toClient.flush();
            }
        } catch (IOException e) {
            // Connection closed by either side.
        }
    }

    /** Reads one RESP array of bulk strings (what clients send); null at end of stream. */
    private static List<String> readCommand(InputStream in, ByteArrayOutputStream raw) throws IOException {
        String header = readLine(in, raw);
        if (header == null) {
            return null;
        }
        List<String> args = new ArrayList<>();
        if (!header.startsWith("*")) {
            // An inline command.
            args.addAll(List.of(header.trim().split(" +")));
            return args;
        }
        int count = Integer.parseInt(header.substring(1));
        for (int i = 0; i < count; i++) {
            String len = readLine(in, raw);
            byte[] data = in.readNBytes(Integer.parseInt(len.substring(1)) + 2);
            raw.write(data);
            args.add(new String(data, 0, data.length - 2, StandardCharsets.UTF_8));
        }
        return args;
    }

    /** Copies one complete RESP2/RESP3 reply into {@code out}. */
    private static void readReply(InputStream in, ByteArrayOutputStream out) throws IOException {
        String line = readLine(in, out);
        if (line == null) {
            throw new IOException("server closed");
        }
        char type = line.charAt(0);
        switch (type) {
            case '$', '=', '!' -> {
                int len = Integer.parseInt(line.substring(1));
                if (len >= 0) {
                    out.write(in.readNBytes(len + 2));
                }
            }
            case '*', '~', '>', '%', '|' -> {
                int n = Integer.parseInt(line.substring(1));
                int items = type == '%' || type == '|' ? n * 2 : n;
                for (int i = 0; i < items; i++) {
                    readReply(in, out);
                }
            }
            default -> {
                // '+', '-', ':', '_', ',', '#', '(' are one line.
            }
        }
    }

    private static String readLine(InputStream in, ByteArrayOutputStream raw) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            raw.write(b);
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.US_ASCII);
            }
            line.write(b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
