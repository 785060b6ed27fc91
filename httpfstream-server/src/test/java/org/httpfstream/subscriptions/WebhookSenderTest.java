package org.httpfstream.subscriptions;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The webhook client's HTTP/1.1 exchange with a scripted receiver on a loopback socket. */
class WebhookSenderTest {
    @RegisterExtension
    final ScriptedReceiver receiver = new ScriptedReceiver();

    private CompletableFuture<WebhookSender.Response> post(String path, Map<String, String> headers) {
        return receiver.post(path, headers, "{}".getBytes(ISO_8859_1));
    }

    private WebhookSender.Response exchange(String answer) throws Exception {
        receiver.answerWith(answer);
        return post("/h", Map.of()).get(10, TimeUnit.SECONDS);
    }

    private Throwable failure(String answer) throws Exception {
        receiver.answerWith(answer);
        try {
            post("/h", Map.of()).get(10, TimeUnit.SECONDS);
            throw new AssertionError("no failure");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void theRequestIsOnePostWithItsHeadersAndBody() throws Exception {
        receiver.answerWith("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Webhook-Signature", "t=1");
        WebhookSender.Response r = post("/h/i?x=1&y", headers).get(10, TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(receiver.takeRequest()).isEqualTo("POST /h/i?x=1&y HTTP/1.1\r\nHost: 127.0.0.1:"
                + receiver.port() + "\r\nUser-Agent: httpfstream-webhook\r\nConnection: close\r\n"
                + "Content-Length: 2\r\nContent-Type: application/json\r\nWebhook-Signature: t=1\r\n\r\n{}");
        receiver.answerWith("HTTP/1.1 200 OK\r\n\r\n");
        post("", Map.of()).get(10, TimeUnit.SECONDS);
    }

    @Test
    void bodiesAreReadByLengthByChunksOrToTheEnd() throws Exception {
        assertThat(exchange("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more")).isEqualTo(
                new WebhookSender.Response(200, "hello"));
        assertThat(exchange("HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n"
                + "a\r\n, world!!!\r\n0\r\n\r\n")).isEqualTo(new WebhookSender.Response(200, "hello, world!!!"));
        assertThat(exchange("HTTP/1.1 202 Accepted\nX: y\n\nto the end")).isEqualTo(
                new WebhookSender.Response(202, "to the end"));
        assertThat(exchange("HTTP/1.1 204 No Content\r\n\r\nignored")).isEqualTo(new WebhookSender.Response(204, ""));
        assertThat(exchange("HTTP/1.1 304 Not Modified\r\n\r\nignored").body()).isEmpty();
        assertThat(exchange("HTTP/1.0 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"))
                .isEqualTo(new WebhookSender.Response(201, "ok"));
        assertThat(exchange("HTTP/1.1 500 Oops\r\nContent-Length: 9\r\n\r\nshort")).isEqualTo(
                new WebhookSender.Response(500, "short"));
    }

    @Test
    void brokenAnswersAreFailures() throws Exception {
        assertThat(failure("SMTP ready\r\n\r\n")).isInstanceOf(IOException.class)
                .hasMessage("webhook receiver did not answer HTTP: SMTP ready");
        assertThat(failure("HTTP/1.1\r\n\r\n")).hasMessage("webhook receiver did not answer HTTP: HTTP/1.1");
        assertThat(failure("HTTP/1.1 abc\r\n\r\n")).hasMessage("webhook receiver sent a bad status line: HTTP/1.1 abc");
        assertThat(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"))
                .hasMessage("webhook receiver sent a bad chunk size");
        assertThat(failure("HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n"))
                .hasMessage("webhook receiver sent a bad Content-Length");
        assertThat(failure("")).hasMessage("webhook receiver closed the connection without an answer");
        assertThat(failure("HTTP/1.1 200 " + "x".repeat(8200) + "\r\n\r\n"))
                .hasMessage("webhook receiver sent a line longer than 8 KiB");
    }

    @Test
    void aHeaderWithALineBreakIsNeverSent() throws Exception {
        for (Map<String, String> h : java.util.List.of(Map.of("A", "b\r\nX: y"), Map.of("A", "b\nX: y"),
                Map.of("A\r\nX", "y"), Map.of("A\nX", "y"))) {
            receiver.answerWith("HTTP/1.1 200 OK\r\n\r\n");
            CompletableFuture<WebhookSender.Response> r = post("/h", h);
            assertThat(r).failsWithin(10, TimeUnit.SECONDS).withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(IllegalArgumentException.class)
                    .withMessageContaining("line break in webhook header");
            assertThat(receiver.takeRequest()).isEqualTo("closed after: ");
        }
        assertThat(receiver.sender.targets().allowedRanges()).containsExactly("127.0.0.1/32");
    }

    @Test
    void aClosedSenderOrAnAbsentReceiverFails() throws Exception {
        int port = receiver.port();
        receiver.socket.close();
        Throwable e = receiver.sender.post(URI.create("http://127.0.0.1:" + port + "/"), Map.of(), new byte[0])
                .handle((r, t) -> t).get(10, TimeUnit.SECONDS);
        assertThat(e).isInstanceOf(IOException.class).hasMessageStartingWith("cannot connect to webhook 127.0.0.1:" + port);
        receiver.sender.close();
        assertThat(post("/", Map.of()).handle((r, t) -> t).get(10, TimeUnit.SECONDS))
                .hasMessage("webhook sender is closed");
    }
}
