package org.httpfstream.subscriptions;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The webhook client's limits, each at its exact edge: a line break at the very start of a header's
 * name or value, a line of the longest length read and one character more, and an answer's body cut at
 * {@link WebhookSender#MAX_BODY} inside a chunk.
 */
class WebhookSenderLimitsTest {
    final WebhookSender sender = new WebhookSender(WebhookTargets.allowing("127.0.0.1/32"), Duration.ofSeconds(5),
            Duration.ofSeconds(5));
    final ServerSocket receiver;

    WebhookSenderLimitsTest() throws IOException {
        receiver = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    @AfterEach
    void close() throws IOException {
        sender.close();
        receiver.close();
    }

    /** Answers the next connection with {@code answer} once it has read the request's head, then closes it. */
    private void answerWith(String answer) {
        Thread t = new Thread(() -> {
            try (Socket s = receiver.accept()) {
                InputStream in = s.getInputStream();
                int matched = 0;
                for (int c = in.read(); c >= 0 && matched < 4; c = in.read()) { // up to the blank line
                    matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : c == '\r' ? 1 : 0;
                    if (matched == 4) {
                        break;
                    }
                }
                s.getOutputStream().write(answer.getBytes(ISO_8859_1));
            } catch (IOException e) {
                // the sender refused to send: nothing to answer
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private CompletableFuture<WebhookSender.Response> post(Map<String, String> headers) {
        return sender.post(URI.create("http://127.0.0.1:" + receiver.getLocalPort() + "/h"), headers, new byte[0]);
    }

    private Throwable failure(Map<String, String> headers) throws Exception {
        return post(headers).handle((r, t) -> t).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aLineBreakAtTheVeryStartOfAHeadersNameOrValueIsRefused() throws Exception {
        for (Map<String, String> h : List.of(Map.of("\rA", "b"), Map.of("\nA", "b"), Map.of("A", "\rb"),
                Map.of("A", "\nb"))) {
            answerWith("HTTP/1.1 200 OK\r\n\r\n");
            assertThat(failure(h)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("line break in webhook header");
        }
    }

    @Test
    void aLineOf8192CharactersWithItsCarriageReturnIsReadAndOneMoreIsRefused() throws Exception {
        String longest = "X: " + "v".repeat(8192 - 3 - 1); // with its CR: 8192 characters before the LF
        answerWith("HTTP/1.1 200 OK\r\n" + longest + "\r\nContent-Length: 2\r\n\r\nok");
        assertThat(post(Map.of()).get(10, TimeUnit.SECONDS)).isEqualTo(new WebhookSender.Response(200, "ok"));
        answerWith("HTTP/1.1 200 OK\r\n" + longest + "v\r\nContent-Length: 2\r\n\r\nok");
        assertThat(failure(Map.of())).isInstanceOf(IOException.class)
                .hasMessage("webhook receiver sent a line longer than 8 KiB");
    }

    @Test
    void aChunkedBodyIsCutAtTheLimitInsideAChunk() throws Exception {
        int first = WebhookSender.MAX_BODY - 100;
        String answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(first) + "\r\n" + "a".repeat(first) + "\r\n"
                + Integer.toHexString(1000) + "\r\n" + "b".repeat(1000) + "\r\n0\r\n\r\n";
        answerWith(answer);
        WebhookSender.Response r = post(Map.of()).get(10, TimeUnit.SECONDS);
        assertThat(r.body()).hasSize(WebhookSender.MAX_BODY).endsWith("a" + "b".repeat(100));
    }

    @Test
    void anAnswerWithAnEmptyBodyByLengthIsRead() throws Exception {
        answerWith("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        assertThat(post(Map.of()).get(10, TimeUnit.SECONDS)).isEqualTo(new WebhookSender.Response(202, ""));
    }
}
