package org.httpfstream.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy for tests, on a free loopback port: forwards bytes both ways between each client connection
 * and a new connection to the target port, and kills the {@code i}-th connection (both sockets) once it has
 * forwarded {@code cutAfter[i]} bytes from the target to the client; connections beyond the plan are never
 * cut. A kill closes both sockets either with a reset or with a plain FIN, chosen at random.
 *
 * <p>Each connection is served by two daemon threads; {@link #close()} stops everything.
 */
final class CuttingProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final long[] cutAfter;
    private final Random random;
    private final Runnable beforeCut;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger cuts = new AtomicInteger();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();

    private CuttingProxy(int targetPort, long[] cutAfter, long seed, Runnable beforeCut) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.cutAfter = cutAfter.clone();
        this.random = new Random(seed);
        this.beforeCut = beforeCut;
        daemon("cutting-proxy-accept", this::acceptLoop);
    }

    /**
     * Starts a proxy to {@code 127.0.0.1:targetPort}.
     *
     * @param cutAfter for the i-th connection, the number of bytes (at least 1) from the target after which
     *     it is killed
     * @param seed chooses between reset and FIN for each kill
     * @param beforeCut run just before each kill, on the proxy's thread
     */
    static CuttingProxy start(int targetPort, long[] cutAfter, long seed, Runnable beforeCut) throws IOException {
        return new CuttingProxy(targetPort, cutAfter, seed, beforeCut);
    }

    /** Returns {@code http://127.0.0.1:PORT} + {@code path}. */
    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort() + path);
    }

    /** The number of connections killed so far. */
    int cuts() {
        return cuts.get();
    }

    /**
     * Kills every connection open now, both sockets, with a reset (a network cut the peers learn of);
     * counts as one cut. Later connections are served as before.
     */
    void killConnections() {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
            } catch (IOException ignored) {
                // closed already
            }
            closeQuietly(s);
        }
        cuts.incrementAndGet();
    }

    /** The number of connections accepted so far. */
    int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            int index = connections.getAndIncrement();
            long limit = index < cutAfter.length ? cutAfter[index] : Long.MAX_VALUE;
            boolean reset;
            synchronized (random) {
                reset = random.nextBoolean();
            }
            sockets.add(client);
            Socket target = new Socket();
            sockets.add(target);
            try {
                client.setTcpNoDelay(true);
                target.setTcpNoDelay(true);
                target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 10_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(target);
                continue;
            }
            Connection c = new Connection(client, target, limit, reset);
            daemon("cutting-proxy-up-" + index, c::upstream);
            daemon("cutting-proxy-down-" + index, c::downstream);
        }
    }

    /** One proxied connection. */
    private final class Connection {
        final Socket client;
        final Socket target;
        final long limit;
        final boolean reset;

        Connection(Socket client, Socket target, long limit, boolean reset) {
            this.client = client;
            this.target = target;
            this.limit = limit;
            this.reset = reset;
        }

        /** Client to target, unlimited. */
        void upstream() {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = client.getInputStream();
                OutputStream out = target.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, n);
                }
                target.shutdownOutput();
            } catch (IOException e) {
                closeBoth();
            }
        }

        /** Target to client, killed after {@link #limit} bytes. */
        void downstream() {
            byte[] buffer = new byte[16 * 1024];
            long forwarded = 0;
            try {
                InputStream in = target.getInputStream();
                OutputStream out = client.getOutputStream();
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    if (forwarded + n >= limit) {
                        out.write(buffer, 0, (int) (limit - forwarded));
                        out.flush();
                        kill();
                        return;
                    }
                    out.write(buffer, 0, n);
                    forwarded += n;
                }
                client.shutdownOutput();
            } catch (IOException e) {
                closeBoth();
            }
        }

        private void kill() throws IOException {
            beforeCut.run();
            if (reset) {
                client.setSoLinger(true, 0);
                target.setSoLinger(true, 0);
            }
            closeBoth();
            cuts.incrementAndGet();
        }

        private void closeBoth() {
            closeQuietly(client);
            closeQuietly(target);
        }
    }

    private static void daemon(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
