package org.httpfstream.subscriptions;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.httpfstream.store.DaemonThreads;

/**
 * Sends webhook {@code POST}s to checked addresses only. For each request it resolves the URL's host once
 * through {@link WebhookTargets#resolve}, connects to one of the addresses that passed (the next one if a
 * connection fails) and speaks HTTP/1.1 on that exact socket: the host name goes in the {@code Host}
 * header and, over {@code https}, in TLS SNI and the certificate check. Nothing resolves the name again
 * behind its back, and a redirect is never followed: a {@code 3xx} answer is a failed delivery. Written by
 * hand rather than on the JDK's {@code HttpClient}, which resolves the name itself and so cannot be held
 * to the address that was checked.
 *
 * <p>Thread safety: safe for use by any thread. Requests run on up to {@value #THREADS} daemon threads of
 * its own; {@link #close()} stops them.
 */
public final class WebhookSender implements AutoCloseable {
    static final int THREADS = 8;
    /** The most of a receiver's answer that is read; the rest is ignored. */
    static final int MAX_BODY = 64 * 1024;

    /** A receiver's answer: its status and the start of its body. */
    public record Response(int status, String body) {}

    private final WebhookTargets targets;
    private final Duration connectTimeout;
    private final Duration timeout;
    private final ExecutorService executor;

    public WebhookSender(WebhookTargets targets, Duration connectTimeout, Duration timeout) {
        this.targets = Objects.requireNonNull(targets, "targets");
        this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.executor = DaemonThreads.pool(THREADS, 0, DaemonThreads.named("httpfstream-webhook"));
    }

    /** The targets this sender checks against. */
    public WebhookTargets targets() {
        return targets;
    }

    /**
     * Posts {@code body} to {@code url} with {@code headers}; does not block. The future fails with a
     * {@link RefusedTargetException} if the target is not allowed (nothing was sent), with another
     * {@link IOException} if the exchange failed, and completes with the answer otherwise, whatever its
     * status.
     */
    public CompletableFuture<Response> post(URI url, Map<String, String> headers, byte[] body) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    result.complete(exchange(url, headers, body));
                } catch (IOException | RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new IOException("webhook sender is closed"));
        }
        return result;
    }

    private Response exchange(URI url, Map<String, String> headers, byte[] body) throws IOException {
        List<InetAddress> addresses = targets.resolve(url);
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() >= 0 ? url.getPort() : tls ? 443 : 80;
        IOException last = null;
        for (InetAddress address : addresses) {
            Socket socket = new Socket();
            try {
                socket.connect(new InetSocketAddress(address, port), (int) connectTimeout.toMillis());
            } catch (IOException e) {
                socket.close();
                last = e;
                continue;
            }
            try (Socket s = tls ? secure(socket, url.getHost(), port) : socket) {
                s.setSoTimeout((int) timeout.toMillis());
                return exchange(s, url, port, tls, headers, body);
            }
        }
        throw new IOException("cannot connect to webhook " + url.getHost() + ":" + port + ": "
                + (last == null ? "no address" : last.getMessage()), last);
    }

    /** TLS over the connected socket, for {@code host}: SNI and the certificate's name check. */
    private static Socket secure(Socket socket, String host, int port) throws IOException {
        try {
            String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            SSLSocket ssl = (SSLSocket) SSLContext.getDefault().getSocketFactory()
                    .createSocket(socket, name, port, true);
            SSLParameters p = ssl.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            if (WebhookTargets.literal(host) == null) {
                p.setServerNames(List.of(new SNIHostName(name)));
            }
            ssl.setSSLParameters(p);
            ssl.startHandshake();
            return ssl;
        } catch (java.security.NoSuchAlgorithmException e) {
            socket.close();
            throw new IOException("TLS is not available", e);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private static Response exchange(Socket s, URI url, int port, boolean tls, Map<String, String> headers,
            byte[] body) throws IOException {
        writeRequest(s.getOutputStream(), url, port, tls, headers, body);
        return readResponse(new BufferedInputStream(s.getInputStream()));
    }

    private static void writeRequest(OutputStream out, URI url, int port, boolean tls, Map<String, String> headers,
            byte[] body) throws IOException {
        String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        boolean defaultPort = port == (tls ? 443 : 80);
        StringBuilder head = new StringBuilder()
                .append("POST ").append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(url.getHost()).append(defaultPort ? "" : ":" + port).append("\r\n")
                .append("User-Agent: httpfstream-webhook\r\n")
                .append("Connection: close\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        headers.forEach((k, v) -> {
            if (k.indexOf('\r') >= 0 || k.indexOf('\n') >= 0 || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("line break in webhook header " + k);
            }
            head.append(k).append(": ").append(v).append("\r\n");
        });
        head.append("\r\n");
        out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static Response readResponse(InputStream in) throws IOException {
        int status;
        Map<String, String> answer;
        do { // skip interim answers (100 Continue)
            String statusLine = line(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("webhook receiver did not answer HTTP: " + statusLine);
            }
            try {
                status = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("webhook receiver sent a bad status line: " + statusLine);
            }
            answer = new java.util.HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                if (colon > 0) {
                    answer.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                }
            }
        } while (status / 100 == 1);
        if (status == 204 || status == 304) {
            return new Response(status, "");
        }
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        if ("chunked".equalsIgnoreCase(answer.get("transfer-encoding"))) {
            for (int size = chunkSize(line(in)); size > 0 && content.size() < MAX_BODY; size = chunkSize(line(in))) {
                copy(in, content, size);
                line(in);
            }
        } else if (answer.containsKey("content-length")) {
            long n;
            try {
                n = Long.parseLong(answer.get("content-length"));
            } catch (NumberFormatException e) {
                throw new IOException("webhook receiver sent a bad Content-Length");
            }
            copy(in, content, (int) Math.min(n, MAX_BODY));
        } else {
            copy(in, content, MAX_BODY);
        }
        return new Response(status, content.toString(StandardCharsets.UTF_8));
    }

    private static int chunkSize(String line) throws IOException {
        int semi = line.indexOf(';');
        try {
            return Integer.parseInt((semi < 0 ? line : line.substring(0, semi)).trim(), 16);
        } catch (NumberFormatException e) {
            throw new IOException("webhook receiver sent a bad chunk size");
        }
    }

    /** Copies up to {@code n} bytes (fewer at end of stream), at most {@link #MAX_BODY} in all. */
    private static void copy(InputStream in, ByteArrayOutputStream to, int n) throws IOException {
        byte[] buf = new byte[8192];
        int left = Math.min(n, MAX_BODY - to.size());
        while (left > 0) {
            int r = in.read(buf, 0, Math.min(buf.length, left));
            if (r < 0) {
                return;
            }
            to.write(buf, 0, r);
            left -= r;
        }
    }

    /** One line without its CR LF; at most 8 KiB. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                if (sb.length() == 0) {
                    throw new IOException("webhook receiver closed the connection without an answer");
                }
                break;
            }
            if (sb.length() >= 8192) {
                throw new IOException("webhook receiver sent a line longer than 8 KiB");
            }
            sb.append((char) c);
        }
        int end = sb.length();
        if (end > 0 && sb.charAt(end - 1) == '\r') {
            sb.setLength(end - 1);
        }
        return sb.toString();
    }

    /** Stops the sender's threads; requests not started fail. */
    @Override
    public void close() {
        executor.shutdownNow();
    }
}
