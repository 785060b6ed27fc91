package org.httpfstream.subscriptions;

import static java.nio.charset.StandardCharsets.ISO_8859_1;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link WebhookSender} allowed to post to loopback, and a scripted receiver on a loopback socket that
 * answers each connection with the text a test gives, for the sender's tests. Closes both after each
 * test ({@code @RegisterExtension}).
 *
 * <p>Written by hand rather than with an HTTP server library: the tests send answers no server library
 * would write (broken status lines, over-long lines, bodies cut inside a chunk) and check the request's
 * bytes exactly.
 *
 * <p>Thread safety: the test thread calls every method; each {@link #answerWith} starts one daemon thread
 * that completes {@link #request}, which is volatile.
 */
final class ScriptedReceiver implements AfterEachCallback {
    final WebhookSender sender = new WebhookSender(WebhookTargets.allowing("127.0.0.1/32"), Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    final ServerSocket socket;
    /**
     * The request the receiver read, head and body, or {@code "closed after: "} and what came before the
     * sender closed the connection without finishing its head.
     */
    volatile CompletableFuture<String> request = new CompletableFuture<>();

    ScriptedReceiver() {
        try {
            socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        sender.close();
        socket.close();
    }

    /** The receiver's port on 127.0.0.1. */
    int port() {
        return socket.getLocalPort();
    }

    /**
     * Answers the next connection with {@code answer} once it has read the request (its head, then as many
     * body bytes as its {@code Content-Length} says), then closes it. A connection closed before the end of
     * the head gets no answer.
     */
    void answerWith(String answer) {
        Thread t = new Thread(() -> {
            try (Socket s = socket.accept()) {
                InputStream in = s.getInputStream();
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                while (!head.toString(ISO_8859_1).endsWith("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0) {
                        request.complete("closed after: " + head.toString(ISO_8859_1));
                        return;
                    }
                    head.write(c);
                }
                String h = head.toString(ISO_8859_1);
                int at = h.indexOf("Content-Length: ") + 16;
                int n = Integer.parseInt(h.substring(at, h.indexOf("\r\n", at)));
                request.complete(h + new String(in.readNBytes(n), ISO_8859_1));
                s.getOutputStream().write(answer.getBytes(ISO_8859_1));
            } catch (IOException e) {
                request.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** Returns the request the receiver read and gets ready for the next; waits up to 10 s for it. */
    String takeRequest() throws Exception {
        String read = request.get(10, TimeUnit.SECONDS);
        request = new CompletableFuture<>();
        return read;
    }

    /** Posts {@code body} with {@code headers} to {@code path} on the receiver. */
    CompletableFuture<WebhookSender.Response> post(String path, Map<String, String> headers, byte[] body) {
        return sender.post(URI.create("http://127.0.0.1:" + port() + path), headers, body);
    }
}
