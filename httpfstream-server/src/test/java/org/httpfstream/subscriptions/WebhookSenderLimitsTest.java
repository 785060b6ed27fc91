package org.httpfstream.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The webhook client's limits, each at its exact edge: a line break at the very start of a header's
 * name or value, a line of the longest length read and one character more, and an answer's body cut at
 * {@link WebhookSender#MAX_BODY} inside a chunk.
 */
class WebhookSenderLimitsTest {
    @RegisterExtension
    final ScriptedReceiver receiver = new ScriptedReceiver();

    private CompletableFuture<WebhookSender.Response> post(Map<String, String> headers) {
        return receiver.post("/h", headers, new byte[0]);
    }

    private Throwable failure(Map<String, String> headers) throws Exception {
        return post(headers).handle((r, t) -> t).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aLineBreakAtTheVeryStartOfAHeadersNameOrValueIsRefused() throws Exception {
        for (Map<String, String> h : List.of(Map.of("\rA", "b"), Map.of("\nA", "b"), Map.of("A", "\rb"),
                Map.of("A", "\nb"))) {
            receiver.answerWith("HTTP/1.1 200 OK\r\n\r\n");
            assertThat(failure(h)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("line break in webhook header");
        }
    }

    @Test
    void aLineOf8192CharactersWithItsCarriageReturnIsReadAndOneMoreIsRefused() throws Exception {
        String longest = "X: " + "v".repeat(8192 - 3 - 1); // with its CR: 8192 characters before the LF
        receiver.answerWith("HTTP/1.1 200 OK\r\n" + longest + "\r\nContent-Length: 2\r\n\r\nok");
        assertThat(post(Map.of()).get(10, TimeUnit.SECONDS)).isEqualTo(new WebhookSender.Response(200, "ok"));
        receiver.answerWith("HTTP/1.1 200 OK\r\n" + longest + "v\r\nContent-Length: 2\r\n\r\nok");
        assertThat(failure(Map.of())).isInstanceOf(IOException.class)
                .hasMessage("webhook receiver sent a line longer than 8 KiB");
    }

    @Test
    void aChunkedBodyIsCutAtTheLimitInsideAChunk() throws Exception {
        int first = WebhookSender.MAX_BODY - 100;
        String answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(first) + "\r\n" + "a".repeat(first) + "\r\n"
                + Integer.toHexString(1000) + "\r\n" + "b".repeat(1000) + "\r\n0\r\n\r\n";
        receiver.answerWith(answer);
        WebhookSender.Response r = post(Map.of()).get(10, TimeUnit.SECONDS);
        assertThat(r.body()).hasSize(WebhookSender.MAX_BODY).endsWith("a" + "b".repeat(100));
    }

    @Test
    void anAnswerWithAnEmptyBodyByLengthIsRead() throws Exception {
        receiver.answerWith("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        assertThat(post(Map.of()).get(10, TimeUnit.SECONDS)).isEqualTo(new WebhookSender.Response(202, ""));
    }
}
