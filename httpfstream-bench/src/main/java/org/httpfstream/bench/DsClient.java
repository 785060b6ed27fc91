package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

/**
 * A client of the Durable Streams scenarios (an appender or a reader) whose state outlives its
 * connections: when a connection closes where the protocol allows it (between responses, or for SSE
 * after its response began), it reconnects and carries on; anything else is its first error, which it
 * reports to its {@link Cohort}, and it is finished. The cohort counts it opened once it is ready for
 * the load and finished once it is done or has failed.
 *
 * <p>Confined to one event loop: that of its first connection; every reconnection is made on the same
 * loop. {@link #connect()} may be called from any thread, once; other threads reach the client only
 * through {@link #execute}. Its results may be read by other threads once the cohort has counted it
 * finished (the cohort's latch orders them), and the {@code volatile} ones at any time.
 */
abstract class DsClient implements DsConnection.Listener {
    private static final int MAX_RECONNECTS = 100;

    protected final Cohort cohort;
    protected final String name;
    private final LoadClient client;
    /** The current connection, or null between connections. */
    protected DsConnection connection;
    private volatile EventLoop loop;
    private boolean settled;
    private int reconnects;
    private volatile boolean finished;
    private volatile String error;

    DsClient(Cohort cohort, String name, LoadClient client) {
        this.cohort = cohort;
        this.name = name;
        this.client = client;
    }

    /** Makes the first connection. */
    final void connect() {
        DsConnection.open(client, this, null);
    }

    /** Runs {@code task} on this client's event loop; nothing if it never connected. */
    final void execute(Runnable task) {
        EventLoop l = loop;
        if (l != null) {
            l.execute(task);
        }
    }

    /** The new connection is open: send what comes next. */
    abstract void connected(DsConnection c);

    /** True if this client may carry on over a new connection after {@code c} closed. */
    boolean mayReconnect(DsConnection c) {
        return !c.inExchange();
    }

    /** Called once when the client is finished, on its event loop (or its first connect's thread). */
    void onFinish() {
    }

    @Override
    public final void onConnected(DsConnection c) {
        connection = c;
        loop = c.channel().eventLoop();
        if (finished) {
            c.close();
            return;
        }
        connected(c);
    }

    @Override
    public final void onClosed(DsConnection c) {
        if (c == connection) {
            connection = null;
        }
        if (finished) {
            return;
        }
        if (c.channel() != null && mayReconnect(c) && reconnects++ < MAX_RECONNECTS) {
            DsConnection.open(client, this, loop);
            return;
        }
        fail(c.problem() != null ? c.problem()
                : c.inExchange() ? "the server closed the connection during a request (status " + c.status() + ")"
                : "the server closed the connection");
    }

    /** Counts the client as ready for the load (once). */
    final void settle() {
        if (!settled) {
            settled = true;
            cohort.opened();
        }
    }

    /** Records the first error and finishes. */
    final void fail(String message) {
        if (error == null && !finished) {
            error = message;
            cohort.error(name + ": " + message);
        }
        finish();
    }

    /** Counts the client as finished (once) and closes its connection. */
    final void finish() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            onFinish();
        } finally {
            settle();
            cohort.finished();
            if (connection != null) {
                connection.close();
            }
        }
    }

    final boolean isFinished() {
        return finished;
    }

    /** The first error, or null. */
    final String error() {
        return error;
    }

    /** The bytes {@code " HTTP/1.1\r\nHost: " + host + "\r\n"}, which follow a request target. */
    static byte[] versionAndHost(String host) {
        return DsConnection.ascii(" HTTP/1.1\r\nHost: " + host + "\r\n" + RequestAuth.line());
    }

    /** Writes {@code v} percent-encoded for a query (unreserved characters as they are). */
    static void writeQueryValue(ByteBuf b, DsConnection.Value v) {
        byte[] s = v.bytes();
        for (int i = 0; i < v.length(); i++) {
            int c = s[i] & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                b.writeByte(c);
            } else {
                b.writeByte('%').writeByte(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .writeByte(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
    }
}
