package org.httpfstream.viewer;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * TEST-ONLY stand-in for the viewer endpoints of the viewer API contract (docs/notes/viewer-api.md)
 * until helper lines14's server side is merged; then it goes and the tests talk to the real server.
 * It serves the page and its assets from the classpath, answers {@code ?lines}, {@code ?tail},
 * {@code ?search}, {@code ?status} and {@code ?list} by reading the stream's file under the real
 * server's root from scratch on every request (no index: fine for test-sized logs), and passes every
 * other request, such as the page's live {@code ?offset=X&follow}, through to the real server as a
 * stream, so the live tail, its end and a server restart are the real server's.
 *
 * <p>Thread safety: the JDK server's default executor runs one exchange at a time; the upstream
 * supplier is read on each request, so the server behind may be restarted on another port.
 */
final class ViewerStub implements AutoCloseable {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self' data:";
    private static final String ASSETS = "/.httpfstream-viewer/";
    private static final Pattern SGR = Pattern.compile("\u001b\\[[0-9;:]*m");
    private static final Pattern ESCAPE = Pattern.compile(
            "\u001b(\\[[0-?]*[ -/]*[@-~]?|[\\]PX^_][^\u0007\u001b]*(\u0007|\u001b\\\\)?|[ -/]*.?)");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final HttpServer http;
    private final Supplier<URI> upstream;
    private final Supplier<Path> root;

    ViewerStub(Supplier<URI> upstream, Supplier<Path> root) throws IOException {
        this.upstream = upstream;
        this.root = root;
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "viewer-stub");
            t.setDaemon(true);
            return t;
        }));
        http.createContext("/", this::handle);
        http.start();
    }

    /** The stub's URL for {@code pathAndQuery}. */
    String url(String pathAndQuery) {
        return "http://127.0.0.1:" + http.getAddress().getPort() + pathAndQuery;
    }

    @Override
    public void close() {
        http.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            if (path.startsWith(ASSETS)) {
                asset(ex, path.substring(ASSETS.length()));
            } else if (q.containsKey("view")) {
                asset(ex, "viewer.html");
            } else if (!q.containsKey("list") && !Files.isRegularFile(file(path))) {
                send(ex, 404, "text/plain", "no such stream\n".getBytes(UTF_8));
            } else if (q.containsKey("lines") || q.containsKey("tail")) {
                lines(ex, path, q);
            } else if (q.containsKey("search")) {
                search(ex, path, q.get("search"), Integer.parseInt(q.getOrDefault("from", "1")));
            } else if (q.containsKey("status")) {
                status(ex, path);
            } else if (q.containsKey("list")) {
                list(ex, path);
            } else {
                proxy(ex);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            // the browser went away, or the real server did: the exchange is closed above
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int eq = kv.indexOf('=');
                String k = eq < 0 ? kv : kv.substring(0, eq);
                q.put(k, eq < 0 ? "" : java.net.URLDecoder.decode(kv.substring(eq + 1), UTF_8));
            }
        }
        return q;
    }

    private void asset(HttpExchange ex, String name) throws IOException {
        try (InputStream in = ViewerStub.class.getResourceAsStream("/org/httpfstream/viewer/static/" + name)) {
            if (in == null || !name.matches("[a-z]+\\.(html|js|css)")) {
                send(ex, 404, "text/plain", "no such asset".getBytes(UTF_8));
                return;
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            send(ex, 200, type, in.readAllBytes());
        }
    }

    private Path file(String path) {
        return root.get().resolve(path.substring(1));
    }

    /** Offsets where lines start; a final unterminated line counts. */
    static List<Integer> starts(byte[] data) {
        List<Integer> s = new ArrayList<>();
        for (int i = 0; i < data.length; i++) {
            if (i == 0 || data[i - 1] == '\n') {
                s.add(i);
            }
        }
        return s;
    }

    private void lines(HttpExchange ex, String path, Map<String, String> q) throws IOException {
        byte[] data = Files.readAllBytes(file(path));
        List<Integer> starts = starts(data);
        int count = starts.size();
        int first;
        int last;
        if (q.containsKey("tail")) {
            first = Math.max(1, count - Integer.parseInt(q.get("tail")) + 1);
            last = count;
        } else {
            String[] nm = q.get("lines").split("-", -1);
            first = Integer.parseInt(nm[0]);
            last = nm[1].isEmpty() ? count : Math.min(count, Integer.parseInt(nm[1]));
            if (first > count) {
                send(ex, 416, "text/plain", ("line " + first + " is beyond the end\n").getBytes(UTF_8));
                return;
            }
        }
        int from = count == 0 ? 0 : starts.get(first - 1);
        int to = last < count ? starts.get(last) : data.length;
        String before = new String(data, 0, from, ISO_8859_1);
        StringBuilder prefix = new StringBuilder();
        Matcher m = SGR.matcher(before);
        while (m.find()) {
            prefix.append(m.group());
        }
        var h = ex.getResponseHeaders();
        h.set("Line-First", String.valueOf(first));
        h.set("Line-Last", String.valueOf(Math.max(last, first - 1)));
        h.set("Line-Count", String.valueOf(count));
        h.set("Line-Offset", String.valueOf(from));
        h.set("Line-End-Offset", String.valueOf(to));
        h.set("Line-Sections", StubSections.openAt(data, starts, first));
        byte[] head = prefix.length() == 0 ? new byte[0] : ("\u001b[0m" + prefix).getBytes(ISO_8859_1);
        byte[] body = new byte[head.length + to - from];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(data, from, body, head.length, to - from);
        send(ex, 200, "text/plain; charset=utf-8", body);
    }

    private void search(HttpExchange ex, String path, String text, int from) throws IOException {
        byte[] data = Files.readAllBytes(file(path));
        String[] lines = new String(data, UTF_8).split("\n", -1);
        String needle = text.toLowerCase(java.util.Locale.ROOT);
        StringBuilder matches = new StringBuilder();
        int count = 0;
        int total = 0;
        for (int i = 0; i < lines.length; i++) {
            String plain = ESCAPE.matcher(lines[i]).replaceAll("").toLowerCase(java.util.Locale.ROOT);
            for (int at = plain.indexOf(needle); at >= 0 && !needle.isEmpty(); at = plain.indexOf(needle, at + 1)) {
                total++;
                if (i + 1 >= from && count++ < 1000) {
                    matches.append(matches.length() == 0 ? "" : ",").append("{\"line\":").append(i + 1)
                            .append(",\"start\":").append(at).append(",\"end\":").append(at + needle.length()).append('}');
                }
            }
        }
        String json = "{\"count\":" + total + ",\"matches\":[" + matches + "],\"truncated\":" + (count > 1000) + "}";
        send(ex, 200, "application/json", json.getBytes(UTF_8));
    }

    private void status(HttpExchange ex, String path) throws IOException, InterruptedException {
        HttpResponse<Void> head = HTTP.send(HttpRequest.newBuilder(upstream(path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), BodyHandlers.discarding());
        Path f = file(path);
        byte[] data = Files.readAllBytes(f);
        boolean live = head.headers().firstValue("Stream-Writer-Active").orElse("false").equals("true");
        long since = Files.getLastModifiedTime(f).toMillis();
        String writer = !live ? "finished" : System.currentTimeMillis() - since > 5000 ? "idle" : "live";
        String json = "{\"length\":" + data.length + ",\"lines\":" + starts(data).size() + ",\"writer\":\"" + writer
                + "\",\"since\":" + since + "}";
        send(ex, 200, "application/json", json.getBytes(UTF_8));
    }

    private void list(HttpExchange ex, String path) throws IOException {
        StringBuilder entries = new StringBuilder();
        try (Stream<Path> children = Files.list(file(path))) {
            for (Path c : children.filter(c -> !c.getFileName().toString().startsWith(".")).toList()) {
                boolean dir = Files.isDirectory(c);
                entries.append(entries.length() == 0 ? "" : ",").append("{\"name\":\"").append(c.getFileName())
                        .append("\",\"kind\":\"").append(dir ? "folder" : "stream").append("\",\"size\":")
                        .append(dir ? 0 : Files.size(c)).append(",\"modified\":")
                        .append(Files.getLastModifiedTime(c).toMillis()).append(",\"writer\":\"finished\"}");
            }
        }
        send(ex, 200, "application/json", ("{\"path\":\"" + path + "\",\"entries\":[" + entries + "]}").getBytes(UTF_8));
    }

    private URI upstream(String pathAndQuery) {
        String base = upstream.get().toString();
        return URI.create(base.substring(0, base.length() - 1) + pathAndQuery);
    }

    /** Passes a GET through to the real server, streaming its body as it comes. */
    private void proxy(HttpExchange ex) throws IOException {
        HttpResponse<InputStream> res;
        try {
            res = HTTP.send(HttpRequest.newBuilder(upstream(ex.getRequestURI().toString())).build(),
                    BodyHandlers.ofInputStream());
        } catch (IOException | InterruptedException e) {
            send(ex, 502, "text/plain", "upstream down\n".getBytes(UTF_8));
            return;
        }
        res.headers().firstValue("Content-Type").ifPresent(t -> ex.getResponseHeaders().set("Content-Type", t));
        ex.sendResponseHeaders(res.statusCode(), 0);
        try (InputStream in = res.body(); OutputStream out = ex.getResponseBody()) {
            byte[] buf = new byte[16384];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }
}
