package org.httpfstream.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * The Durable Streams scenarios, over plain HTTP/1.1 keep-alive connections (blocking sockets, one
 * thread per connection: correctness first; the request head buffer and each body are reused).
 *
 * <p>Every body is {@code size} printable ASCII bytes, no newline, so it is carried unchanged by
 * catch-up reads, long-polls and SSE {@code data:} lines of a {@code text/plain} stream:
 * <ul>
 *   <li>{@code ds-append}: 4 hex digits connection id, 8 hex digits sequence, then a filler that
 *       depends on both. Verified by a catch-up read: every record well formed, every (id, seq) sent
 *       present exactly once, nothing else; byte count and the sum of per-record CRC32Cs match.</li>
 *   <li>{@code ds-readers}: 8 hex digits sequence, 16 hex digits {@code System.nanoTime()} at the
 *       send, filler. Every reader must receive sequences 0, 1, 2, … in order, each once.</li>
 * </ul>
 *
 * <p>Thread safety: each method runs its scenario on threads it starts and joins.
 */
final class DsScenarios {
    private static final String TYPE = "text/plain";
    private static final int READ_TIMEOUT_MS = 120_000;

    private final URI base;
    private final String basePath;

    DsScenarios(URI base) {
        this.base = base;
        String p = base.getPath();
        this.basePath = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    // ------------------------------------------------------------ ds-append

    /** Fills {@code b} with the record of (id, seq). */
    static void appendRecord(byte[] b, int id, long seq) {
        hex(b, 0, id, 4);
        hex(b, 4, seq, 8);
        long x = (id * 0x9E3779B97F4A7C15L) ^ (seq * 0xC2B2AE3D27D4EB4FL);
        for (int i = 12; i < b.length; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte) ('a' + (int) ((x >>> 33) % 26));
        }
    }

    static void hex(byte[] b, int off, long v, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            b[off + i] = (byte) "0123456789abcdef".charAt((int) (v & 15));
            v >>>= 4;
        }
    }

    static long unhex(byte[] b, int off, int digits) {
        long v = 0;
        for (int i = 0; i < digits; i++) {
            int c = b[off + i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    /**
     * Runs ds-append: {@code connections} connections POSTing {@code size}-byte bodies back to back for
     * {@code seconds}, to one stream or one stream per connection.
     */
    Result append(String label, String pathPrefix, int connections, int size, long seconds,
            boolean streamPerConnection, Histogram latency) throws Exception {
        Result r = new Result("ds-append", label).param("connections", connections).param("messageSize", size)
                .param("seconds", seconds).param("streams", streamPerConnection ? "per-connection" : "one");
        int nStreams = streamPerConnection ? connections : 1;
        String[] paths = new String[nStreams];
        try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
            for (int i = 0; i < nStreams; i++) {
                paths[i] = basePath + pathPrefix + "/" + i + ".txt";
                DsHttp.Response put = h.exchange("PUT", paths[i], TYPE, null);
                if (put.status() != 201 && put.status() != 200) {
                    r.errors.add("PUT " + paths[i] + ": " + put.status());
                    return r;
                }
            }
        }
        long[] sent = new long[connections];
        long[] crcSum = new long[connections];
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            final int id = c;
            final String path = paths[streamPerConnection ? c : 0];
            threads.add(new Thread(() -> {
                byte[] body = new byte[size];
                CRC32C crc = new CRC32C();
                try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
                    for (long seq = 0; !stop.get(); seq++) {
                        appendRecord(body, id, seq);
                        long t0 = System.nanoTime();
                        h.send("POST", path, TYPE, body);
                        DsHttp.Response resp = h.receive(false);
                        latency.record(System.nanoTime() - t0);
                        if (resp.status() != 204 && resp.status() != 200) {
                            errors.add("connection " + id + " POST " + seq + ": " + resp.status());
                            return;
                        }
                        crc.reset();
                        crc.update(body, 0, size);
                        crcSum[id] += crc.getValue();
                        sent[id] = seq + 1;
                    }
                } catch (Exception e) {
                    errors.add("connection " + id + ": " + e);
                }
            }, "ds-append-" + c));
        }
        long t0 = System.nanoTime();
        threads.forEach(Thread::start);
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        stop.set(true);
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(150));
        }
        long t1 = System.nanoTime();
        r.errors.addAll(errors);
        r.connections = connections;
        long total = 0;
        long expectedCrc = 0;
        for (int c = 0; c < connections; c++) {
            total += sent[c];
            expectedCrc += crcSum[c];
        }
        r.bytes = total * size;
        r.seconds = (t1 - t0) / 1e9;
        r.latency = latency;
        r.targetNote = String.format(java.util.Locale.ROOT, "%.0f appends/s", total / r.seconds);
        r.param("appends", total);
        r.param("appendsPerSecond", Math.round(total / r.seconds));
        // Verify: every stream read back with catch-up GETs.
        BitSet[] seen = new BitSet[connections];
        for (int c = 0; c < connections; c++) {
            seen[c] = new BitSet();
        }
        long records = 0;
        long gotCrc = 0;
        byte[] rec = new byte[size];
        byte[] expect = new byte[size];
        CRC32C crc = new CRC32C();
        int bad = 0;
        try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
            for (String path : paths) {
                byte[] all = catchUp(h, path, r);
                if (all == null) {
                    break;
                }
                if (all.length % size != 0) {
                    r.errors.add(path + ": " + all.length + " bytes, not a multiple of " + size);
                }
                for (int off = 0; off + size <= all.length; off += size) {
                    System.arraycopy(all, off, rec, 0, size);
                    records++;
                    crc.reset();
                    crc.update(rec, 0, size);
                    gotCrc += crc.getValue();
                    int id = (int) unhex(rec, 0, 4);
                    long seq = unhex(rec, 4, 8);
                    boolean ok = id >= 0 && id < connections && seq >= 0 && seq < sent[id]
                            && (!streamPerConnection || path.equals(paths[id]));
                    if (ok) {
                        appendRecord(expect, id, seq);
                        ok = java.util.Arrays.equals(rec, expect) && !seen[id].get((int) seq);
                        if (ok) {
                            seen[id].set((int) seq);
                        }
                    }
                    if (!ok && bad++ < 5) {
                        r.errors.add(path + ": unexpected or repeated record at byte " + off + ": "
                                + new String(rec, 0, 12, StandardCharsets.US_ASCII));
                    }
                }
            }
        }
        for (int c = 0; c < connections; c++) {
            if (seen[c].cardinality() != sent[c] && bad++ < 10) {
                r.errors.add("connection " + c + ": " + seen[c].cardinality() + " of " + sent[c]
                        + " appends read back");
            }
        }
        if (records != total || gotCrc != expectedCrc) {
            r.errors.add("read back " + records + " records (CRC32C sum " + gotCrc + "), sent " + total
                    + " (" + expectedCrc + ")");
        }
        r.verified = r.errors.isEmpty() && total > 0;
        return r;
    }

    /** Reads a whole stream with catch-up GETs from -1, following Stream-Next-Offset; null on error. */
    private static byte[] catchUp(DsHttp h, String path, Result r) throws IOException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        String offset = "-1";
        for (int i = 0; i < 1_000_000; i++) {
            DsHttp.Response resp = h.exchange("GET", path + "?offset=" + DsHttp.q(offset), null, null);
            if (resp.status() != 200) {
                r.errors.add("catch-up GET " + path + " offset " + offset + ": " + resp.status());
                return null;
            }
            all.write(resp.body());
            String next = resp.header("stream-next-offset");
            String upToDate = resp.header("stream-up-to-date");
            if (next == null || (upToDate != null && upToDate.equalsIgnoreCase("true"))
                    || next.equals(offset) || resp.body().length == 0) {
                break;
            }
            offset = next;
        }
        return all.toByteArray();
    }

    // ------------------------------------------------------------ ds-readers

    /** A reader's state: the next expected sequence and its errors. */
    private static final class Reader {
        final String name;
        long next;
        final byte[] pending;
        int pendingLen;
        String error;

        Reader(String name, int size) {
            this.name = name;
            this.pending = new byte[size];
        }

        /** Consumes received payload bytes; records latency per whole record. */
        void accept(byte[] b, int off, int len, Histogram latency) {
            long now = System.nanoTime();
            while (len > 0) {
                int n = Math.min(len, pending.length - pendingLen);
                System.arraycopy(b, off, pending, pendingLen, n);
                pendingLen += n;
                off += n;
                len -= n;
                if (pendingLen == pending.length) {
                    pendingLen = 0;
                    long seq = unhex(pending, 0, 8);
                    long sentAt = unhex(pending, 8, 16);
                    if (seq != next) {
                        if (error == null) {
                            error = name + ": got sequence " + seq + ", expected " + next;
                        }
                    } else {
                        latency.record(now - sentAt);
                    }
                    next++;
                }
            }
        }
    }

    /**
     * Runs ds-readers: one appender at {@code rate}/s for {@code seconds}, {@code longPoll} long-poll
     * readers and {@code sse} SSE readers on the same stream; returns two results (long-poll, SSE).
     */
    List<Result> readers(String label, String pathPrefix, int longPoll, int sse, int size, int rate,
            long seconds) throws Exception {
        Result lp = new Result("ds-readers", label).param("readers", "long-poll").param("count", longPoll)
                .param("otherReaders", sse + " sse").param("messageSize", size).param("rate", rate)
                .param("seconds", seconds);
        Result ss = new Result("ds-readers", label).param("readers", "sse").param("count", sse)
                .param("otherReaders", longPoll + " long-poll").param("messageSize", size)
                .param("rate", rate).param("seconds", seconds);
        Histogram lpLat = new Histogram();
        Histogram sseLat = new Histogram();
        String path = basePath + pathPrefix + "/0.txt";
        String start;
        try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
            DsHttp.Response put = h.exchange("PUT", path, TYPE, null);
            if (put.status() != 201 && put.status() != 200) {
                lp.errors.add("PUT " + path + ": " + put.status());
                ss.errors.addAll(lp.errors);
                return List.of(lp, ss);
            }
            start = put.header("stream-next-offset");
            if (start == null) {
                start = "-1";
            }
        }
        long messages = (long) rate * seconds;
        AtomicLong appended = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        ConcurrentLinkedQueue<String> appendErrors = new ConcurrentLinkedQueue<>();
        List<Reader> lpReaders = new ArrayList<>();
        List<Reader> sseReaders = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        final String from = start;
        for (int i = 0; i < longPoll; i++) {
            Reader rd = new Reader("long-poll reader " + i, size);
            lpReaders.add(rd);
            threads.add(new Thread(() -> longPollLoop(rd, path, from, messages, lpLat), rd.name));
        }
        for (int i = 0; i < sse; i++) {
            Reader rd = new Reader("SSE reader " + i, size);
            sseReaders.add(rd);
            threads.add(new Thread(() -> sseLoop(rd, path, from, messages, sseLat, done), rd.name));
        }
        threads.forEach(t -> {
            t.setDaemon(true);
            t.start();
        });
        Thread.sleep(500); // let the readers connect
        Thread appender = new Thread(() -> {
            byte[] body = new byte[size];
            long period = 1_000_000_000L / rate;
            try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
                long t0 = System.nanoTime();
                for (long seq = 0; seq < messages; seq++) {
                    long due = t0 + seq * period;
                    for (long w; (w = due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(w);
                    }
                    appendRecord(body, 0, seq); // filler
                    hex(body, 0, seq, 8);
                    hex(body, 8, System.nanoTime(), 16);
                    DsHttp.Response resp = h.exchange("POST", path, TYPE, body);
                    if (resp.status() != 204 && resp.status() != 200) {
                        appendErrors.add("POST " + seq + ": " + resp.status());
                        return;
                    }
                    appended.incrementAndGet();
                }
            } catch (Exception e) {
                appendErrors.add("appender: " + e);
            }
        }, "ds-readers-appender");
        long t0 = System.nanoTime();
        appender.start();
        appender.join(TimeUnit.SECONDS.toMillis(seconds + 120));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        done.set(true);
        long t1 = System.nanoTime();
        for (Object[] x : new Object[][] {{lp, lpReaders, lpLat}, {ss, sseReaders, sseLat}}) {
            Result r = (Result) x[0];
            @SuppressWarnings("unchecked")
            List<Reader> rs = (List<Reader>) x[1];
            Histogram lat = (Histogram) x[2];
            r.errors.addAll(appendErrors);
            if (appended.get() != messages) {
                r.errors.add("appended " + appended.get() + " of " + messages);
            }
            int bad = 0;
            for (Reader rd : rs) {
                String err = rd.error != null ? rd.error
                        : rd.next != messages ? rd.name + ": received " + rd.next + " of " + messages
                        : rd.pendingLen != 0 ? rd.name + ": " + rd.pendingLen + " stray bytes" : null;
                if (err != null && bad++ < 5) {
                    r.errors.add(err);
                }
            }
            if (bad > 5) {
                r.errors.add((bad - 5) + " more readers failed");
            }
            r.connections = rs.size() + 1;
            r.bytes = (long) rs.size() * messages * size;
            r.seconds = (t1 - t0) / 1e9;
            r.latency = lat;
            r.verified = r.errors.isEmpty() && lat.count() == (long) rs.size() * messages;
            if (r.errors.isEmpty() && !r.verified) {
                r.errors.add("latency samples " + lat.count() + ", expected " + (long) rs.size() * messages);
            }
            r.target = "every body to every reader once, in order; p99 ≤ 10 ms";
            r.targetMet = r.verified && lat.percentile(99) <= 10e6;
        }
        return List.of(lp, ss);
    }

    private void longPollLoop(Reader rd, String path, String start, long messages, Histogram lat) {
        String offset = start;
        try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
            while (rd.next < messages && rd.error == null) {
                DsHttp.Response resp = h.exchange("GET", path + "?offset=" + DsHttp.q(offset) + "&live=long-poll",
                        null, null);
                if (resp.status() == 204) {
                    String n = resp.header("stream-next-offset");
                    if (n != null) {
                        offset = n;
                    }
                    continue;
                }
                if (resp.status() != 200) {
                    rd.error = rd.name + ": long-poll " + resp.status();
                    return;
                }
                rd.accept(resp.body(), 0, resp.body().length, lat);
                String n = resp.header("stream-next-offset");
                if (n == null) {
                    rd.error = rd.name + ": 200 without Stream-Next-Offset";
                    return;
                }
                offset = n;
            }
        } catch (Exception e) {
            rd.error = rd.name + ": " + e;
        }
    }

    /**
     * Follows with SSE: {@code data} events' lines are payload (joined without separators, since
     * bodies have no newline), committed when the following {@code control} event gives
     * streamNextOffset; a dropped connection resumes from the last committed offset.
     */
    private void sseLoop(Reader rd, String path, String start, long messages, Histogram lat, AtomicBoolean done) {
        String offset = start;
        byte[] buf = new byte[16 * 1024];
        StringBuilder lineBuf = new StringBuilder();
        byte[] data = new byte[64 * 1024];
        int reconnects = 0;
        while (rd.next < messages && rd.error == null && !done.get()) {
            try (DsHttp h = new DsHttp(base, READ_TIMEOUT_MS)) {
                h.send("GET", path + "?offset=" + DsHttp.q(offset) + "&live=sse", null, null,
                        "Accept: text/event-stream");
                DsHttp.Response head = h.receiveHead();
                if (head.status() != 200) {
                    rd.error = rd.name + ": SSE " + head.status();
                    return;
                }
                String event = "message";
                int dataLen = 0;
                lineBuf.setLength(0);
                boolean lastCr = false;
                for (int n; rd.next < messages && (n = h.readStream(head, buf, 0, buf.length)) >= 0; ) {
                    for (int i = 0; i < n; i++) {
                        char c = (char) (buf[i] & 0xff);
                        if (c == '\n' && lastCr) {
                            lastCr = false;
                            continue;
                        }
                        lastCr = c == '\r';
                        if (c != '\n' && c != '\r') {
                            lineBuf.append(c);
                            continue;
                        }
                        // End of line.
                        if (lineBuf.length() == 0) { // end of event
                            if (event.equals("data")) {
                                rd.accept(data, 0, dataLen, lat);
                            } else if (event.equals("control")) {
                                String off = jsonString(data, dataLen, "streamNextOffset");
                                if (off != null) {
                                    offset = off;
                                }
                            }
                            event = "message";
                            dataLen = 0;
                        } else if (lineBuf.indexOf("event:") == 0) {
                            event = lineBuf.substring(6).trim();
                        } else if (lineBuf.indexOf("data:") == 0) {
                            int s = lineBuf.length() > 5 && lineBuf.charAt(5) == ' ' ? 6 : 5;
                            int len = lineBuf.length() - s;
                            if (dataLen + len > data.length) {
                                data = java.util.Arrays.copyOf(data, Math.max(data.length * 2, dataLen + len));
                            }
                            for (int k = 0; k < len; k++) {
                                data[dataLen++] = (byte) lineBuf.charAt(s + k);
                            }
                        }
                        lineBuf.setLength(0);
                    }
                }
            } catch (Exception e) {
                if (++reconnects > 20) {
                    rd.error = rd.name + ": " + e;
                    return;
                }
            }
            if (rd.next < messages && rd.error == null) {
                // The server ended the response: resume from the last control offset, dropping any
                // partial record (none is expected, since data events carry whole appends).
                if (rd.pendingLen != 0) {
                    rd.error = rd.name + ": SSE response ended inside a record";
                    return;
                }
            }
        }
    }

    /** The string value of {@code key} in a flat JSON object, or null. */
    static String jsonString(byte[] b, int len, String key) {
        String s = new String(b, 0, len, StandardCharsets.UTF_8);
        int k = s.indexOf("\"" + key + "\"");
        if (k < 0) {
            return null;
        }
        int colon = s.indexOf(':', k);
        int q1 = s.indexOf('"', colon + 1);
        int q2 = s.indexOf('"', q1 + 1);
        return q1 < 0 || q2 < 0 ? null : s.substring(q1 + 1, q2);
    }
}
