package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.subscriptions.WebhookTargets;
import org.httpfstream.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Webhooks go only to allowed addresses, checked on the address actually connected to: a name that
 * resolves to loopback is refused at delivery, a redirect is never followed, and {@code -webhook-allow}
 * lets a receiver on 127.0.0.1 have its deliveries, on the exact address checked, with the URL's Host.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebhookTargetTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();
    final List<HttpServer> receivers = new ArrayList<>();

    /** One request a receiver got: its Host header and body. */
    record Delivery(String host, String signature, String body) {}

    @AfterEach
    void stop() {
        server.stop(); // before its receivers
        receivers.forEach(r -> r.stop(0));
    }

    void start(WebhookTargets targets) throws IOException {
        server.start(b -> b.webhookTargets(targets));
    }

    /** A receiver on {@code host} that records each request and answers {@code status} (+ Location). */
    HttpServer receiver(String host, LinkedBlockingQueue<Delivery> got, int status, String location)
            throws IOException {
        HttpServer r = HttpServer.create(new InetSocketAddress(host, 0), 0);
        r.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            got.add(new Delivery(exchange.getRequestHeaders().getFirst("Host"),
                    exchange.getRequestHeaders().getFirst("Webhook-Signature"), new String(body, StandardCharsets.UTF_8)));
            if (location != null) {
                exchange.getResponseHeaders().set("Location", location);
            }
            byte[] reply = status == 200 ? "{\"done\":true}".getBytes(StandardCharsets.UTF_8) : new byte[0];
            exchange.sendResponseHeaders(status, reply.length == 0 ? -1 : reply.length);
            exchange.getResponseBody().write(reply);
            exchange.close();
        });
        r.start();
        receivers.add(r);
        return r;
    }

    static WebhookTargets.Resolver names(Map<String, String> table) {
        return host -> {
            String ip = table.get(host);
            if (ip == null) {
                throw new UnknownHostException(host);
            }
            return new InetAddress[] {InetAddress.getByName(ip)};
        };
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
        return server.send(method, path, body,
                "Content-Type", body != null && body.startsWith("{") ? "application/json" : "text/plain");
    }

    /** Subscribes {@code url} to events/*, then appends to events/a, which wakes the subscription. */
    void subscribeAndAppend(String url) throws Exception {
        HttpResponse<String> r = send("PUT", "/__ds/subscriptions/s1",
                "{\"type\":\"webhook\",\"pattern\":\"events/*\",\"webhook\":{\"url\":\"" + url + "\"}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(send("PUT", "/events/a", null).statusCode()).isEqualTo(201);
        assertThat(send("POST", "/events/a", "x").statusCode()).isIn(200, 204);
    }

    long refused() {
        return server.get().refusals().get(Refusals.Reason.WEBHOOK_TARGET);
    }

    void awaitRefusals(long n) {
        Await.until(n + " webhook refusals are counted", () -> refused() >= n);
    }

    @Test
    void aNameThatResolvesToLoopbackIsRefusedAtDelivery() throws Exception {
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        int port = receiver("127.0.0.1", got, 200, null).getAddress().getPort();
        start(WebhookTargets.publicOnly().withResolver(names(Map.of("hooks.test", "127.0.0.1"))));
        subscribeAndAppend("https://hooks.test:" + port + "/hook");
        awaitRefusals(1);
        assertThat(got).isEmpty(); // refused before connecting: nothing can have arrived
        assertThat(send("GET", "/__ds/subscriptions/s1", null).body()).contains("\"status\":\"failed\"");
    }

    @Test
    void localhostIsRefusedByTheAddressesItResolvesTo() throws Exception {
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        int port = receiver("127.0.0.1", got, 200, null).getAddress().getPort();
        start(WebhookTargets.publicOnly());
        subscribeAndAppend("https://localhost:" + port + "/hook");
        awaitRefusals(1);
        assertThat(got).isEmpty();
    }

    @Test
    void anAddressLiteralOutsideTheAllowedRangesIsRefusedAtCreation() throws Exception {
        start(WebhookTargets.allowing("127.0.0.1/32"));
        HttpResponse<String> r = send("PUT", "/__ds/subscriptions/s1",
                "{\"type\":\"webhook\",\"pattern\":\"events/*\",\"webhook\":{\"url\":\"http://10.0.0.1/hook\"}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("WEBHOOK_URL_REJECTED",
                "webhook target 10.0.0.1 is not a public address; allow it with -webhook-allow");
        assertThat(refused()).isEqualTo(1);
    }

    @Test
    void aRedirectToLoopbackIsNotFollowed() throws Exception {
        LinkedBlockingQueue<Delivery> inside = new LinkedBlockingQueue<>();
        int insidePort = receiver("127.0.0.2", inside, 200, null).getAddress().getPort();
        LinkedBlockingQueue<Delivery> front = new LinkedBlockingQueue<>();
        int frontPort = receiver("127.0.0.1", front, 307, "http://127.0.0.2:" + insidePort + "/hook")
                .getAddress().getPort();
        start(WebhookTargets.allowing("127.0.0.1/32"));
        subscribeAndAppend("http://127.0.0.1:" + frontPort + "/hook");
        assertThat(front.poll(20, TimeUnit.SECONDS)).isNotNull();
        awaitRefusals(1);
        assertThat(inside).isEmpty();
        assertThat(send("GET", "/__ds/subscriptions/s1", null).body()).contains("\"status\":\"failed\"");
    }

    @Test
    void anAllowedRangeLetsAReceiverOnLoopbackHaveDeliveriesOnTheCheckedAddressWithTheUrlsHost()
            throws Exception {
        LinkedBlockingQueue<Delivery> got = new LinkedBlockingQueue<>();
        int port = receiver("127.0.0.1", got, 200, null).getAddress().getPort();
        // hooks.test exists only in this resolver: the delivery can only have connected to its answer.
        start(WebhookTargets.allowing("127.0.0.1/32").withResolver(names(Map.of("hooks.test", "127.0.0.1"))));
        subscribeAndAppend("http://hooks.test:" + port + "/hook");
        Delivery d = got.poll(20, TimeUnit.SECONDS);
        assertThat(d).isNotNull();
        assertThat(d.host()).isEqualTo("hooks.test:" + port);
        assertThat(d.signature()).startsWith("t=").contains(",ed25519=");
        assertThat(d.body()).contains("\"subscription_id\":\"s1\"", "\"callback_token\"");
        assertThat(refused()).isZero();
    }
}
