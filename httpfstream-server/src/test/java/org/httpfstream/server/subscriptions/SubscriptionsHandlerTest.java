package org.httpfstream.server.subscriptions;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.httpfstream.subscriptions.AlreadyClaimedException;
import org.httpfstream.subscriptions.FencedException;
import org.httpfstream.subscriptions.NoSuchSubscriptionException;
import org.httpfstream.subscriptions.RefusedTargetException;
import org.httpfstream.subscriptions.StreamAccess;
import org.httpfstream.subscriptions.SubscriptionConflictException;
import org.httpfstream.subscriptions.Subscriptions;
import org.httpfstream.subscriptions.WebhookTargets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The transport alone: requests in an {@link EmbeddedChannel}, the domain on streams in memory. */
class SubscriptionsHandlerTest {
    @Nested
    class TheFailureMap {
        private String render(Throwable failure) {
            FullHttpResponse r = SubscriptionsHandler.response(failure);
            try {
                return r.status().code() + " " + r.headers().get("Content-Type") + " " + r.headers().get("Cache-Control")
                        + " " + r.headers().get("Content-Length") + " " + r.content().toString(StandardCharsets.UTF_8);
            } finally {
                r.release();
            }
        }

        @Test
        void eachDomainFailureHasItsStatusAndCode() {
            assertThat(render(new IllegalArgumentException("bad"))).isEqualTo(
                    "400 application/json no-store 52 {\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"bad\"}}");
            assertThat(render(new ClassCastException())).isEqualTo(
                    "400 application/json no-store 53 {\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"null\"}}");
            assertThat(render(new java.util.concurrent.CompletionException(new RefusedTargetException("no")))).isEqualTo(
                    "400 application/json no-store 56 {\"error\":{\"code\":\"WEBHOOK_URL_REJECTED\",\"message\":\"no\"}}");
            assertThat(render(new NoSuchSubscriptionException("s"))).isEqualTo("404 application/json no-store 66 "
                    + "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such subscription: s\"}}");
            assertThat(render(new SubscriptionConflictException("s"))).endsWith(
                    "{\"error\":{\"code\":\"SUBSCRIPTION_CONFLICT\",\"message\":\"subscription s exists with a "
                            + "different configuration\"}}").startsWith("409 ");
            assertThat(render(new FencedException())).isEqualTo("409 application/json no-store 88 {\"error\":{\"code\":"
                    + "\"FENCED\",\"message\":\"stale wake: generation or wake id is not current\"}}");
            assertThat(render(new AlreadyClaimedException("w1", 3))).isEqualTo("409 application/json no-store 73 "
                    + "{\"error\":{\"code\":\"ALREADY_CLAIMED\",\"current_holder\":\"w1\",\"generation\":3}}");
        }

        @Test
        void anUnexpectedFailureHasNoAnswer() {
            assertThat(SubscriptionsHandler.response(new NullPointerException())).isNull();
            assertThat(SubscriptionsHandler.response(new IllegalStateException("closed"))).isNull();
        }
    }

    @Nested
    class Requests {
        final Subscriptions subscriptions = Subscriptions.open(new NoStreams(), null, null, false,
                WebhookTargets.publicOnly(), () -> { });
        final SubscriptionsHandler handler = new SubscriptionsHandler(subscriptions);
        final EmbeddedChannel channel = new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                String path = request.uri();
                int control = path.indexOf("/__ds/");
                handler.handle(ctx, request, path.substring(0, control), path.substring(control + 6));
            }
        });

        @AfterEach
        void close() {
            channel.finishAndReleaseAll();
            subscriptions.close();
        }

        private String exchange(HttpMethod method, String uri, String body, String... headers) {
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            for (int i = 0; i < headers.length; i += 2) {
                request.headers().set(headers[i], headers[i + 1]);
            }
            channel.writeInbound(request);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            FullHttpResponse r;
            while ((r = channel.readOutbound()) == null) {
                assertThat(System.nanoTime()).as("answered within 5 s").isLessThan(deadline);
                channel.runPendingTasks();
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            try {
                return r.status().code() + " " + r.headers().get("Connection") + " "
                        + r.content().toString(StandardCharsets.UTF_8);
            } finally {
                r.release();
            }
        }

        @Test
        void aSubscriptionIsCreatedReadAndDeleted() {
            String created = exchange(HttpMethod.PUT, "/r/__ds/subscriptions/s1",
                    "{\"type\":\"pull-wake\",\"pattern\":\"*\",\"wake_stream\":\"w\"}", "Host", "h:1");
            assertThat(created).startsWith("201 null {\"id\":\"s1\",");
            String again = exchange(HttpMethod.PUT, "/r/__ds/subscriptions/s1",
                    "{\"type\":\"pull-wake\",\"pattern\":\"*\",\"wake_stream\":\"w\"}");
            assertThat(again).isEqualTo(created.replace("201 ", "200 "));
            assertThat(exchange(HttpMethod.GET, "/r/__ds/subscriptions/s1", "")).isEqualTo(again);
            assertThat(exchange(HttpMethod.POST, "/r/__ds/subscriptions/s1/streams", "{\"streams\":[\"a\"]}"))
                    .isEqualTo("204 null ");
            assertThat(exchange(HttpMethod.DELETE, "/r/__ds/subscriptions/s1/streams/a", "")).isEqualTo("204 null ");
            assertThat(exchange(HttpMethod.POST, "/r/__ds/subscriptions/s1/nope", "")).isEqualTo("404 null "
                    + "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such subscription API: nope\"}}");
            assertThat(exchange(HttpMethod.DELETE, "/r/__ds/subscriptions/s1", "", "Connection", "close"))
                    .isEqualTo("204 close ");
        }

        @Test
        void theWakeApisAnswerThroughTheDomain() {
            exchange(HttpMethod.PUT, "/__ds/subscriptions/s1", "{\"type\":\"pull-wake\",\"streams\":[\"a\"],"
                    + "\"wake_stream\":\"w\"}");
            String claimed = exchange(HttpMethod.POST, "/__ds/subscriptions/s1/claim", "");
            assertThat(claimed).startsWith("200 null {\"wake_id\":\"w_");
            assertThat(exchange(HttpMethod.POST, "/__ds/subscriptions/s1/claim", "")).startsWith(
                    "409 null {\"error\":{\"code\":\"ALREADY_CLAIMED\",\"current_holder\":\"worker\",\"generation\":1}}");
            assertThat(exchange(HttpMethod.POST, "/__ds/subscriptions/s1/ack", "{}", "Authorization", "Bearer x"))
                    .startsWith("409 null {\"error\":{\"code\":\"FENCED\"");
            assertThat(exchange(HttpMethod.POST, "/__ds/subscriptions/s1/callback", "{}")).startsWith("409 ");
            assertThat(exchange(HttpMethod.POST, "/__ds/subscriptions/s1/release", "{}")).startsWith("409 ");
            assertThat(exchange(HttpMethod.POST, "/__ds/subscriptions/s1/ack", "")).startsWith(
                    "400 null {\"error\":{\"code\":\"INVALID_REQUEST\"");
        }

        @Test
        void otherPathsAreNotFoundOrBadRequests() {
            assertThat(exchange(HttpMethod.GET, "/__ds/other", "")).isEqualTo(
                    "404 null {\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such control API: other\"}}");
            assertThat(exchange(HttpMethod.GET, "/__ds/subscriptions/", "")).isEqualTo(
                    "400 null {\"error\":{\"code\":\"INVALID_REQUEST\",\"message\":\"no subscription id\"}}");
            assertThat(exchange(HttpMethod.GET, "/__ds/subscriptions/x", "")).isEqualTo(
                    "404 null {\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such subscription: x\"}}");
            assertThat(exchange(HttpMethod.PATCH, "/__ds/subscriptions/x/nope", "")).isEqualTo(
                    "404 null {\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such subscription: x\"}}");
            assertThat(exchange(HttpMethod.POST, "/__ds/jwks.json", "")).startsWith("404 ");
            assertThat(exchange(HttpMethod.GET, "/__ds/jwks.json", "")).startsWith("200 null {\"keys\":[{\"kty\":\"OKP\"");
        }

        @Test
        void anUnexpectedFailureClosesTheConnection() {
            exchange(HttpMethod.PUT, "/__ds/subscriptions/s1", "{\"type\":\"pull-wake\",\"streams\":[\"a\"],"
                    + "\"wake_stream\":\"w\"}");
            channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                    "/__ds/subscriptions/s1/streams", Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (channel.isOpen()) {
                assertThat(System.nanoTime()).as("closed within 5 s").isLessThan(deadline);
                channel.runPendingTasks();
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            assertThat((Object) channel.readOutbound()).isNull();
        }
    }

    /** No streams at all. */
    static final class NoStreams implements StreamAccess {
        @Override
        public long tail(String path) {
            return 0;
        }

        @Override
        public List<String> streamsUnder(String root) {
            return List.of();
        }

        @Override
        public CompletableFuture<?> appendJson(String path, byte[] json) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onChange(BooleanSupplier interested, Consumer<String> listener) {
        }

        @Override
        public void onClose(Runnable listener) {
        }
    }
}
