package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.httpfstream.json.Json;
import org.httpfstream.store.StreamMetadata;

/**
 * A stream's metadata as the JSON value kept in the metadata bucket: one object, every field of {@link
 * StreamMetadata}, producers as {@code [id, epoch, seq]} triples in their order (least recently used
 * first). Written here with the project's one JSON path; the file store's properties format stays its own.
 *
 * <p>Thread safety: stateless.
 */
final class MetadataCodec {
    private MetadataCodec() {}

    static byte[] encode(StreamMetadata m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("contentType", m.contentType());
        o.put("ttl", m.ttlSeconds());
        o.put("expiresAt", m.expiresAt());
        o.put("expiresAtInstant", m.expiresAtInstant() == null ? null : m.expiresAtInstant().toString());
        o.put("closed", m.closed());
        o.put("lastSeq", m.lastSeq());
        List<Object> producers = new java.util.ArrayList<>();
        m.producers().forEach((id, p) -> producers.add(List.of(id, p.epoch(), p.seq())));
        o.put("producers", producers);
        o.put("closedBy", m.closedBy());
        if (m.fork() != null) {
            StreamMetadata.Fork f = m.fork();
            o.put("fork", List.of(f.source(), f.offset(), f.subOffset(), f.position()));
        }
        o.put("forkRefs", m.forkRefs());
        o.put("softDeleted", m.softDeleted());
        o.put("length", m.length());
        return Json.write(o).getBytes(UTF_8);
    }

    @SuppressWarnings("unchecked")
    static StreamMetadata decode(byte[] bytes) {
        Map<String, Object> o = (Map<String, Object>) Json.parse(new String(bytes, UTF_8));
        Map<String, StreamMetadata.Producer> producers = new LinkedHashMap<>();
        for (Object p : (List<Object>) o.get("producers")) {
            List<Object> t = (List<Object>) p;
            producers.put((String) t.get(0), new StreamMetadata.Producer(num(t.get(1)), num(t.get(2))));
        }
        String expiresAt = (String) o.get("expiresAt");
        List<Object> f = (List<Object>) o.get("fork");
        return new StreamMetadata((String) o.get("contentType"),
                o.get("ttl") == null ? null : num(o.get("ttl")),
                expiresAt, o.get("expiresAtInstant") == null ? null : Instant.parse((String) o.get("expiresAtInstant")),
                (Boolean) o.get("closed"), (String) o.get("lastSeq"), producers, (String) o.get("closedBy"),
                f == null ? null : new StreamMetadata.Fork((String) f.get(0), num(f.get(1)), num(f.get(2)), num(f.get(3))),
                (int) num(o.get("forkRefs")), (Boolean) o.get("softDeleted"), num(o.get("length")));
    }

    private static long num(Object o) {
        return ((Number) o).longValue();
    }
}
