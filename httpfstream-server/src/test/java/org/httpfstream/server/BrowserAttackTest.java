package org.httpfstream.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.httpfstream.browser.OriginPolicy;
import org.httpfstream.server.testing.ServerExtension;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.HeadlessChromium;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}) loads pages from two
 * other origins on 127.0.0.1: an attacker's page, whose script tries to append through the visitor's
 * browser (cross-site WebSocket hijacking of an APPEND, a {@code no-cors} {@code text/plain} POST, a
 * CORS POST, a preflighted JSON POST and a {@code text/plain} form POST) and reads a stream; and a page of
 * an origin given to {@code -allow-origin}, which appends over a WebSocket. The attack fails against the
 * default policy (shown by the server's files and its refusal count, and by what the page saw) and
 * succeeds against {@code -allow-origin=*}, so the test can tell the difference.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BrowserAttackTest {

    static ChromeDriver browser;
    static HttpServer evilSite;
    static HttpServer goodSite;
    /** The httpfstream server's port, for the pages; set before each page load. */
    static volatile int streamPort;

    @RegisterExtension
    final ServerExtension server = new ServerExtension().startedByTest();

    @BeforeAll
    static void startBrowserAndSites() throws IOException {
        browser = HeadlessChromium.start();
        evilSite = site("attack.html", BrowserAttackTest::attackPage);
        goodSite = site("good.html", BrowserAttackTest::goodPage);
    }

    @AfterAll
    static void stopBrowserAndSites() {
        if (browser != null) {
            browser.quit();
        }
        if (evilSite != null) {
            evilSite.stop(0);
        }
        if (goodSite != null) {
            goodSite.stop(0);
        }
    }

    /** A web site on 127.0.0.1 (its own origin, by its port) serving one page. */
    static HttpServer site(String name, java.util.function.Supplier<String> page) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/" + name, exchange -> {
            byte[] body = page.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        s.start();
        return s;
    }

    static String origin(HttpServer site) {
        return "http://127.0.0.1:" + site.getAddress().getPort();
    }

    /** Script shared by the pages: report(key, value) into #log; the title becomes "done" after n reports. */
    static String reporter(int n) {
        return "const S = '127.0.0.1:" + streamPort + "';\n"
                + "const results = {};\n"
                + "function report(k, v) { results[k] = String(v);"
                + " document.getElementById('log').textContent = JSON.stringify(results);"
                + " if (Object.keys(results).length === " + n + ") document.title = 'done'; }\n";
    }

    static String attackPage() {
        return "<!doctype html><html><head><title>attacking</title></head><body><pre id='log'></pre>\n"
                + "<iframe name='sink'></iframe>\n"
                + "<form id='f' method='POST' enctype='text/plain' target='sink' action='http://127.0.0.1:"
                + streamPort + "/victim.txt'><input name='evil-form' value='x'></form>\n"
                + "<script>\n" + reporter(6)
                + "let opened = false;\n"
                + "const ws = new WebSocket('ws://' + S + '/hijacked.txt?verb=APPEND');\n"
                + "ws.onopen = () => { opened = true; ws.send('evil-ws'); ws.close(1000); };\n"
                + "ws.onclose = (e) => report('ws', (opened ? 'opened:' : 'refused:') + e.code);\n"
                + "fetch('http://' + S + '/victim.txt', {method: 'POST', mode: 'no-cors', body: 'evil-nocors',"
                + " headers: {'Content-Type': 'text/plain'}}).then(r => report('nocors', 'answer:' + r.type),"
                + " e => report('nocors', 'failed:' + e.name));\n"
                + "fetch('http://' + S + '/victim.txt', {method: 'POST', body: 'evil-cors',"
                + " headers: {'Content-Type': 'text/plain'}}).then(r => report('cors', 'status:' + r.status),"
                + " e => report('cors', 'failed:' + e.name));\n"
                + "fetch('http://' + S + '/victim.txt', {method: 'POST', body: '\"evil-json\"',"
                + " headers: {'Content-Type': 'application/json'}}).then(r => report('json', 'status:' + r.status),"
                + " e => report('json', 'failed:' + e.name));\n"
                + "fetch('http://' + S + '/victim.txt').then(r => r.text()).then(t => report('read', 'read:' + t),"
                + " e => report('read', 'failed:' + e.name));\n"
                + "document.getElementById('f').submit(); report('form', 'submitted');\n"
                + "</script></body></html>";
    }

    static String goodPage() {
        return "<!doctype html><html><head><title>appending</title></head><body><pre id='log'></pre>\n"
                + "<script>\n" + reporter(2)
                + "let opened = false;\n"
                + "const ws = new WebSocket('ws://' + S + '/good.txt?verb=APPEND');\n"
                + "ws.onopen = () => { opened = true; ws.send('hello from an allowed page'); ws.close(1000); };\n"
                + "ws.onclose = (e) => { report('ws', (opened ? 'opened:' : 'refused:') + e.code);\n"
                + "  fetch('http://' + S + '/good.txt').then(r => r.text()).then(t => report('read', 'read:' + t),"
                + " e => report('read', 'failed:' + e.name)); };\n"
                + "</script></body></html>";
    }

    void start(OriginPolicy policy) throws Exception {
        streamPort = server.start(b -> b.allowOrigins(policy)).port();
        assertThat(server.send("PUT", "/victim.txt", null, "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.send("POST", "/victim.txt", "hello", "Content-Type", "text/plain").statusCode())
                .isIn(200, 204);
    }

    /** Loads {@code page} from {@code site} and waits until its script has reported everything. */
    String load(HttpServer site, String page) {
        browser.get(origin(site) + "/" + page);
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> "done".equals(d.getTitle()));
        return browser.findElement(By.id("log")).getText();
    }

    long refused() {
        return server.get().refusals().get(Refusals.Reason.ORIGIN);
    }

    @Test
    void aPageOnAnotherOriginCannotAppendThroughTheBrowserButCanRead() throws Exception {
        start(OriginPolicy.parse(origin(goodSite)));
        String seen = load(evilSite, "attack.html");
        assertThat(seen).contains("\"ws\":\"refused:1006\"", // the upgrade was answered 403: no open, no data
                "\"cors\":\"failed:TypeError\"", // 403 without CORS headers: the page learns nothing
                "\"json\":\"failed:TypeError\"", // the preflight was refused: the POST was never sent
                "\"nocors\":\"answer:opaque\"", // no-cors hides every answer; the server refused it
                "\"read\":\"read:hello\""); // reads stay open to every origin
        // WebSocket, no-cors POST, CORS POST, JSON preflight and the form POST: five refusals.
        Await.until("the form POST is refused too", () -> refused() >= 5);
        assertThat(refused()).isEqualTo(5);
        assertThat(Files.readString(server.root().resolve("victim.txt"))).isEqualTo("hello");
        assertThat(server.root().resolve("hijacked.txt")).doesNotExist();
    }

    @Test
    void aPageOfAnAllowedOriginAppendsOverAWebSocketAndReadsItBack() throws Exception {
        start(OriginPolicy.parse(origin(goodSite)));
        String seen = load(goodSite, "good.html");
        assertThat(seen).contains("\"ws\":\"opened:1000\"", "\"read\":\"read:hello from an allowed page\"");
        assertThat(Files.readString(server.root().resolve("good.txt"))).isEqualTo("hello from an allowed page");
        assertThat(refused()).isZero();
    }

    /** The control: with every origin allowed, the same attack page does append, so the test can fail. */
    @Test
    void withEveryOriginAllowedTheSameAttackSucceeds() throws Exception {
        start(OriginPolicy.anyOrigin());
        String seen = load(evilSite, "attack.html");
        assertThat(seen).contains("\"ws\":\"opened:1000\"", "\"cors\":\"status:204\"");
        Await.until("the form POST lands", () -> {
            try {
                return Files.readString(server.root().resolve("victim.txt")).contains("evil-form=x");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(Files.readString(server.root().resolve("victim.txt"))).startsWith("hello").contains("evil-nocors", "evil-cors");
        assertThat(Files.readString(server.root().resolve("hijacked.txt"))).isEqualTo("evil-ws");
        assertThat(refused()).isZero();
    }
}
