package org.httpfstream.viewer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.json.Json;

/**
 * One memory-infra trace over a browser's DevTools WebSocket, for {@link BenchBrowser#allocatorSizes}:
 * Tracing.start with only the memory-infra category, one detailed Tracing.requestMemoryDump, Tracing.end,
 * then the dump of one process read from the Tracing.dataCollected events. Written by hand with the JDK's
 * WebSocket client: Selenium's typed DevTools needs a protocol artifact per Chromium version, and only
 * these three commands are needed.
 *
 * <p>Thread safety: one caller; the WebSocket's listener only puts whole messages on a queue.
 */
final class DevToolsTrace {
    private final URI endpoint;
    private final Json json = new Json();
    private final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>(); // from the listener thread

    DevToolsTrace(URI endpoint) {
        this.endpoint = endpoint;
    }

    Map<String, Long> memoryDump(long pid) {
        StringBuilder part = new StringBuilder(); // listener thread only
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(endpoint, new WebSocket.Listener() {
            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                part.append(data);
                if (last) {
                    messages.add(part.toString());
                    part.setLength(0);
                }
                w.request(1);
                return CompletableFuture.completedFuture(null);
            }
        }).join();
        try {
            call(ws, 1, "Tracing.start", Map.of("traceConfig", Map.of("includedCategories",
                    List.of("disabled-by-default-memory-infra"), "excludedCategories", List.of("*"),
                    "memoryDumpConfig", Map.of("triggers", List.of())), "transferMode", "ReportEvents"));
            call(ws, 2, "Tracing.requestMemoryDump", Map.of("levelOfDetail", "detailed"));
            ws.sendText(json.toJson(Map.of("id", 3, "method", "Tracing.end")), true).join();
            Map<String, Long> out = new TreeMap<>();
            for (;;) {
                Map<String, Object> m = next();
                if ("Tracing.tracingComplete".equals(m.get("method"))) {
                    return out;
                }
                if ("Tracing.dataCollected".equals(m.get("method"))) {
                    for (Object e : (List<?>) ((Map<?, ?>) m.get("params")).get("value")) {
                        take((Map<?, ?>) e, pid, out);
                    }
                }
            }
        } finally {
            ws.abort();
        }
    }

    private static void take(Map<?, ?> event, long pid, Map<String, Long> out) {
        if (!"v".equals(event.get("ph")) || ((Number) event.get("pid")).longValue() != pid) {
            return;
        }
        Map<?, ?> dumps = (Map<?, ?>) ((Map<?, ?>) event.get("args")).get("dumps");
        if (dumps == null) {
            return;
        }
        Map<?, ?> allocators = (Map<?, ?>) dumps.get("allocators");
        if (allocators != null) {
            for (Map.Entry<?, ?> a : allocators.entrySet()) {
                String name = (String) a.getKey();
                if (name.split("/").length <= 2 && !name.startsWith("shared_memory/")) { // one per segment
                    Map<?, ?> attrs = (Map<?, ?>) ((Map<?, ?>) a.getValue()).get("attrs");
                    Object size = attrs == null ? null : attrs.get("size");
                    if (size instanceof Map<?, ?> sz && sz.get("value") instanceof String hex) {
                        out.put(name, Long.parseLong(hex, 16));
                    }
                }
            }
        }
        Map<?, ?> totals = (Map<?, ?>) dumps.get("process_totals");
        if (totals != null) {
            for (Map.Entry<?, ?> t : totals.entrySet()) {
                if (t.getValue() instanceof String hex) {
                    out.put("process_totals/" + t.getKey(), Long.parseLong(hex, 16));
                }
            }
        }
    }

    private void call(WebSocket ws, int id, String method, Map<String, Object> params) {
        ws.sendText(json.toJson(Map.of("id", id, "method", method, "params", params)), true).join();
        for (;;) {
            Map<String, Object> m = next();
            if (Integer.valueOf(id).equals(m.get("id") instanceof Number n ? n.intValue() : null)) {
                if (m.containsKey("error")) {
                    throw new IllegalStateException(method + ": " + m.get("error"));
                }
                return;
            }
        }
    }

    private Map<String, Object> next() {
        try {
            String s = messages.poll(30, TimeUnit.SECONDS);
            if (s == null) {
                throw new IllegalStateException("no DevTools message in 30 s");
            }
            return json.toType(s, Json.MAP_TYPE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
