package org.httpfstream.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.httpfstream.server.AuthHttp.bearer;
import static org.httpfstream.server.AuthHttp.subprotocol;
import static org.httpfstream.server.AuthHttp.upgrade;
import static org.httpfstream.server.AuthHttp.withParam;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.httpfstream.auth.Permission;
import org.httpfstream.server.testing.ServerExtension;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The auth matrix: every token (one per permission, one outside its paths, an unknown one, none) × every
 * route of both protocols × every carrier (header, query, WebSocket subprotocol), against a real server.
 * A request is let through exactly when its token's permission covers the route's and the carrier
 * applies; else {@code 401} (no or unknown token) or {@code 403} (known token, no right), before any
 * upgrade and before any byte is stored.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthMatrixTest {
    /** One server for the whole matrix: each case works on streams of its own. */
    @RegisterExtension
    static final ServerExtension server = new ServerExtension().longPollTimeout(Duration.ofMillis(200)).tokens("""
            # one token per permission
            r-secret   read    /
            a-secret   append  /
            d-secret   delete  /
            adm-secret admin   /
            o-secret   admin   /elsewhere/
            """);
    final AtomicInteger streams = new AtomicInteger();

    /** A token of the grant file, or a token the server does not know, or none. */
    enum Token {
        READER("r-secret", Set.of(Permission.READ)),
        APPENDER("a-secret", Set.of(Permission.APPEND)),
        DELETER("d-secret", Set.of(Permission.DELETE)),
        ADMIN("adm-secret", Set.of(Permission.ADMIN)),
        /** Admin, but on /elsewhere/ only. */
        OUTSIDE("o-secret", Set.of()),
        UNKNOWN("who-knows", Set.of()),
        NONE(null, Set.of());

        final String value;
        final Set<Permission> permissions;

        Token(String value, Set<Permission> permissions) {
            this.value = value;
            this.permissions = permissions;
        }

        boolean known() {
            return this != UNKNOWN && this != NONE;
        }

        boolean may(Permission p) {
            return permissions.contains(p) || permissions.contains(Permission.ADMIN);
        }
    }

    enum Carrier { HEADER, QUERY, SUBPROTOCOL }

    /** Each route, the permission it needs, and whether it is a WebSocket upgrade. */
    enum Route {
        WS_APPEND(Permission.APPEND, true),
        WS_FOLLOW(Permission.READ, true),
        PLAIN_GET(Permission.READ, false),
        FOLLOW_GET(Permission.READ, false),
        DS_PUT(Permission.APPEND, false),
        DS_POST(Permission.APPEND, false),
        DS_CLOSE(Permission.APPEND, false),
        DS_DELETE(Permission.DELETE, false),
        DS_HEAD(Permission.READ, false),
        DS_GET(Permission.READ, false),
        DS_LONG_POLL(Permission.READ, false),
        DS_SSE(Permission.READ, false),
        SUBSCRIPTIONS(Permission.ADMIN, false);

        final Permission needs;
        final boolean webSocket;

        Route(Permission needs, boolean webSocket) {
            this.needs = needs;
            this.webSocket = webSocket;
        }
    }

    static Stream<Arguments> matrix() {
        List<Arguments> all = new ArrayList<>();
        for (Token t : Token.values()) {
            for (Route r : Route.values()) {
                for (Carrier c : Carrier.values()) {
                    all.add(Arguments.of(t, r, c));
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} by {2}")
    @MethodSource("matrix")
    void aRequestPassesExactlyWhenItsTokenMayAndTheCarrierApplies(Token token, Route route, Carrier carrier)
            throws IOException {
        String path = "/m/s" + streams.incrementAndGet();
        prepare(route, path);
        long before = size(path);
        RawHttp r = request(route, path, token, carrier);
        boolean carried = token.value != null && (carrier != Carrier.SUBPROTOCOL || route.webSocket);
        boolean allowed = carried && token.may(route.needs) && token != Token.OUTSIDE;
        if (allowed) {
            assertThat(r.status).as(r.bodyText()).isEqualTo(success(route));
            if (carrier == Carrier.SUBPROTOCOL) {
                assertThat(r.header("Sec-WebSocket-Protocol")).isEqualTo("httpfstream");
            }
        } else {
            int expected = carried && token.known() ? 403 : 401;
            assertThat(r.status).as(r.bodyText()).isEqualTo(expected);
            if (route != Route.DS_HEAD) { // one readable line, never the token
                assertThat(r.bodyText()).startsWith("not authorised: ").endsWith("\n").doesNotContain(
                        token.value == null ? "\u0000" : token.value);
                assertThat(r.bodyText().split("\n")).hasSize(1);
            }
            assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"httpfstream\"");
            assertThat(r.header("Upgrade")).isNull();
            assertThat(size(path)).as("bytes stored by a refused request").isEqualTo(before);
            if (route == Route.DS_PUT) {
                assertThat(Files.exists(file(path))).isFalse();
            }
        }
    }

    private int success(Route route) {
        return switch (route) {
            case WS_APPEND, WS_FOLLOW -> 101;
            case DS_PUT -> 201;
            case DS_POST, DS_CLOSE, DS_DELETE, DS_LONG_POLL -> 204;
            case SUBSCRIPTIONS -> 404; // let through to the control API: no such subscription
            default -> 200;
        };
    }

    /** Makes the stream the route acts on: an open Durable Streams stream holding "hello", except for PUT. */
    private void prepare(Route route, String path) throws IOException {
        if (route == Route.DS_PUT || route == Route.SUBSCRIPTIONS) {
            return;
        }
        RawHttp put = AuthHttp.send(server.address(), "PUT", path, "hello".getBytes(UTF_8),
                bearer("adm-secret"), "Content-Type: text/plain");
        assertThat(put.status).isEqualTo(201);
    }

    private RawHttp request(Route route, String path, Token token, Carrier carrier) throws IOException {
        List<String> headers = new ArrayList<>();
        String target = switch (route) {
            case WS_APPEND, WS_FOLLOW, PLAIN_GET, DS_PUT, DS_POST, DS_CLOSE, DS_DELETE, DS_HEAD -> path;
            case FOLLOW_GET -> path + "?follow";
            case DS_GET -> path + "?offset=-1";
            case DS_LONG_POLL -> path + "?offset=now&live=long-poll";
            case DS_SSE -> path + "?offset=-1&live=sse";
            case SUBSCRIPTIONS -> "/m/__ds/subscriptions/nosuch";
        };
        if (token.value != null) {
            switch (carrier) {
                case HEADER -> headers.add(bearer(token.value));
                case QUERY -> target = withParam(target, "token", token.value);
                case SUBPROTOCOL -> headers.add(subprotocol(token.value));
            }
        }
        String method = switch (route) {
            case DS_PUT -> "PUT";
            case DS_POST, DS_CLOSE -> "POST";
            case DS_DELETE -> "DELETE";
            case DS_HEAD -> "HEAD";
            default -> "GET";
        };
        byte[] body = null;
        if (route == Route.DS_POST || route == Route.DS_PUT) {
            body = "more".getBytes(UTF_8);
            headers.add("Content-Type: text/plain");
        }
        if (route == Route.DS_CLOSE) {
            headers.add("Stream-Closed: true");
            body = new byte[0];
        }
        if (route.webSocket) {
            headers.add(route == Route.WS_APPEND ? "X-Verb: APPEND" : "X-Verb: FOLLOW");
            return AuthHttp.send(server.address(), method, target, body, upgrade(headers.toArray(String[]::new)));
        }
        return AuthHttp.send(server.address(), method, target, body, headers.toArray(String[]::new));
    }

    private Path file(String path) {
        return server.root().resolve(path.substring(1));
    }

    private long size(String path) throws IOException {
        Path f = file(path);
        return Files.exists(f) ? Files.size(f) : -1;
    }
}
