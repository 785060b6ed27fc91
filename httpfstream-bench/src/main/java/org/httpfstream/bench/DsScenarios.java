package org.httpfstream.bench;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.zip.CRC32C;

/**
 * The Durable Streams scenarios, over plain HTTP/1.1 keep-alive connections carried by the {@link
 * LoadClient}'s event loops ({@link DsConnection}: raw HTTP parsing, request heads encoded once,
 * buffers reused). Only the load is measured (CPU, memory, event-loop lag: {@link Meter}); creating
 * the streams and reading them back to verify come before and after it, one request per connection.
 *
 * <p>Every body is {@code size} printable ASCII bytes, no newline, so it is carried unchanged by
 * catch-up reads, long-polls and SSE {@code data:} lines of a {@code text/plain} stream:
 * <ul>
 *   <li>{@code ds-append}: 4 hex digits connection id, 8 hex digits sequence, then a filler that
 *       depends on both ({@link #appendRecord}). Verified by a catch-up read: every record well formed,
 *       every (id, seq) sent present exactly once, nothing else; byte count and the sum of per-record
 *       CRC32Cs match.</li>
 *   <li>{@code ds-readers}: 8 hex digits sequence, 16 hex digits {@code System.nanoTime()} at the
 *       send, filler ({@link #readerRecord}). Every reader must receive sequences 0, 1, 2, … in order,
 *       each once, fillers intact.</li>
 * </ul>
 *
 * <p>Thread safety: one scenario at a time, from one thread; the load runs on the client's event
 * loops.
 */
final class DsScenarios {
    private static final String TYPE = "text/plain";
    private static final long CONNECT_SECONDS = 30;
    private static final long EXCHANGE_SECONDS = 120;
    private static final long LATE_APPENDS_SECONDS = 120;
    private static final long LATE_READERS_SECONDS = 60;

    private final Target target;
    private final LoadClient client;
    private final String basePath;
    private final String host;

    DsScenarios(Target target, LoadClient client) {
        this.target = target;
        this.client = client;
        URI base = target.base();
        String p = base.getPath();
        this.basePath = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        this.host = base.getHost() + ":" + (base.getPort() < 0 ? 80 : base.getPort());
    }

    // ------------------------------------------------------------ records

    /** Fills {@code b} with the ds-append record of (id, seq). */
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

    /**
     * Fills {@code b} with the ds-readers record {@code seq}: its sequence at 0, sixteen {@code 0}s at
     * 8 where the appender writes its send time, and the filler of {@code appendRecord(b, 0, seq)}
     * from 24.
     */
    static void readerRecord(byte[] b, long seq) {
        appendRecord(b, 0, seq);
        hex(b, 0, seq, 8);
        hex(b, 8, 0, 16);
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
     * Finds the string value of {@code quotedKey} (the key with its quotes) in the flat JSON object
     * {@code b[0, len)} and puts it into {@code out}; false, and {@code out} unchanged, if it is not
     * there. Escapes are not decoded (offsets and cursors have none).
     */
    static boolean jsonString(byte[] b, int len, byte[] quotedKey, DsConnection.Value out) {
        int k = indexOf(b, len, quotedKey);
        if (k < 0) {
            return false;
        }
        int i = k + quotedKey.length;
        while (i < len && (b[i] == ' ' || b[i] == ':' || b[i] == '\t')) {
            i++;
        }
        if (i >= len || b[i] != '"') {
            return false;
        }
        int start = ++i;
        while (i < len && b[i] != '"') {
            i++;
        }
        if (i >= len) {
            return false;
        }
        out.set(b, start, i - start);
        return true;
    }

    private static int indexOf(byte[] b, int len, byte[] key) {
        outer:
        for (int i = 0; i + key.length <= len; i++) {
            for (int k = 0; k < key.length; k++) {
                if (b[i + k] != key[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ------------------------------------------------------------ ds-append

    /**
     * Runs ds-append: {@code connections} connections POSTing {@code size}-byte bodies back to back for
     * {@code seconds}, to one stream or one stream per connection; then reads every stream back.
     */
    Result append(String pathPrefix, int connections, int size, long seconds, boolean streamPerConnection,
            boolean producers) throws Exception {
        return append(pathPrefix, connections, size, seconds, streamPerConnection, producers, true);
    }

    /**
     * As {@link #append(String, int, int, long, boolean, boolean)}; without {@code readBack}, the streams
     * are not read back (a server that stores nothing, as the no-op limit's): only the answers are checked.
     */
    Result append(String pathPrefix, int connections, int size, long seconds, boolean streamPerConnection,
            boolean producers, boolean readBack) throws Exception {
        Result r = new Result("ds-append", target.label()).param("connections", connections)
                .param("messageSize", size).param("seconds", seconds)
                .param("streams", streamPerConnection ? "per-connection" : "one");
        if (producers) {
            r.param("producers", "yes");
        }
        String[] paths = streamPaths(pathPrefix, streamPerConnection ? connections : 1);
        if (!createStreams(r, paths)) {
            return r;
        }
        Histogram latency = new Histogram();
        Cohort cohort = new Cohort("ds-append connection", connections);
        List<DsAppender.Loop> loops = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            DsAppender.Loop loop = new DsAppender.Loop(cohort, client, c, paths[streamPerConnection ? c : 0], host,
                    size, producers, latency);
            loops.add(loop);
            loop.connect();
        }
        if (!cohort.awaitOpened(System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_SECONDS))) {
            r.errors.add(cohort.pendingOpen() + " of " + connections + " connections not open after "
                    + CONNECT_SECONDS + " s");
        }
        Meter meter = new Meter(target, client);
        long t0 = System.nanoTime();
        long end = t0 + TimeUnit.SECONDS.toNanos(seconds);
        loops.forEach(l -> l.start(end));
        boolean finished = cohort.awaitFinished(end + TimeUnit.SECONDS.toNanos(LATE_APPENDS_SECONDS));
        meter.stop(r);
        long t1 = finished ? lastAnswer(loops, t0) : System.nanoTime();
        if (!finished) {
            r.errors.add(cohort.pendingFinish() + " of " + connections + " connections had not finished "
                    + LATE_APPENDS_SECONDS + " s after the end");
        }
        r.errors.addAll(cohort.errors());
        r.connections = connections;
        long[] sent = new long[connections];
        long total = 0;
        long expectedCrc = 0;
        for (int c = 0; c < connections; c++) {
            sent[c] = loops.get(c).acknowledged();
            total += sent[c];
            expectedCrc += loops.get(c).crcSum();
        }
        r.bytes = total * size;
        r.seconds = (t1 - t0) / 1e9;
        r.latency = latency;
        r.targetNote = String.format(Locale.ROOT, "%.0f appends/s", total / r.seconds);
        r.param("appends", total);
        r.param("appendsPerSecond", Math.round(total / r.seconds));
        if (readBack) {
            verifyAppends(r, paths, streamPerConnection, size, sent, total, expectedCrc);
        }
        r.verified = r.errors.isEmpty() && total > 0;
        return r;
    }

    /** The paths of {@code n} streams under {@code pathPrefix}: 0.txt, 1.txt, … */
    private String[] streamPaths(String pathPrefix, int n) {
        String[] paths = new String[n];
        for (int i = 0; i < n; i++) {
            paths[i] = basePath + pathPrefix + "/" + i + ".txt";
        }
        return paths;
    }

    /** PUTs each of {@code paths}; false (and the failure in {@code r}) at the first one not created. */
    private boolean createStreams(Result r, String[] paths) throws Exception {
        for (String path : paths) {
            Response put = exchange("PUT", path, new byte[0]);
            if (put.status() != 201 && put.status() != 200) {
                r.errors.add("PUT " + path + ": " + put.status());
                return false;
            }
        }
        return true;
    }

    /** When the last answer of any loop came ({@code t0} if none came). */
    private static long lastAnswer(List<DsAppender.Loop> loops, long t0) {
        long t1 = t0;
        for (DsAppender.Loop l : loops) {
            if (l.lastNanos() != 0 && l.lastNanos() - t1 > 0) {
                t1 = l.lastNanos();
            }
        }
        return t1;
    }

    /** Reads every stream back and checks it against what was acknowledged; errors go to {@code r}. */
    private void verifyAppends(Result r, String[] paths, boolean streamPerConnection, int size, long[] sent,
            long total, long expectedCrc) throws Exception {
        int connections = sent.length;
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
        for (String path : paths) {
            byte[] all = catchUp(path, r);
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
                    ok = Arrays.equals(rec, expect) && !seen[id].get((int) seq);
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
    }

    /** Reads a whole stream with catch-up GETs from -1, following Stream-Next-Offset; null on error. */
    private byte[] catchUp(String path, Result r) throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        String offset = "-1";
        for (int i = 0; i < 1_000_000; i++) {
            Response resp = exchange("GET", path + "?offset=" + URLEncoder.encode(offset, StandardCharsets.UTF_8),
                    null);
            if (resp.status() != 200) {
                r.errors.add("catch-up GET " + path + " offset " + offset + ": " + resp.status());
                return null;
            }
            all.write(resp.body());
            String next = resp.nextOffset();
            if (next == null || resp.upToDate() || next.equals(offset) || resp.body().length == 0) {
                break;
            }
            offset = next;
        }
        return all.toByteArray();
    }

    // ------------------------------------------------------------ ds-readers

    /**
     * Runs ds-readers: one appender at {@code rate}/s for {@code seconds}, {@code longPoll} long-poll
     * readers and {@code sse} SSE readers on the same stream; returns two results (long-poll, SSE).
     */
    List<Result> readers(String pathPrefix, int longPoll, int sse, int size, int rate, long seconds)
            throws Exception {
        Result lp = readersResult("long-poll", longPoll, sse + " sse", size, rate, seconds);
        Result ss = readersResult("sse", sse, longPoll + " long-poll", size, rate, seconds);
        Histogram lpLat = new Histogram();
        Histogram sseLat = new Histogram();
        String path = basePath + pathPrefix + "/0.txt";
        Response put = exchange("PUT", path, new byte[0]);
        if (put.status() != 201 && put.status() != 200) {
            lp.errors.add("PUT " + path + ": " + put.status());
            ss.errors.addAll(lp.errors);
            return List.of(lp, ss);
        }
        String start = put.nextOffset() == null ? "-1" : put.nextOffset();
        long messages = (long) rate * seconds;
        long openDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_SECONDS);

        Cohort readerCohort = longPoll + sse > 0 ? new Cohort("reader", longPoll + sse) : null;
        List<DsReader> lpReaders = newReaders(longPoll,
                i -> new DsReader.LongPoll(readerCohort, client, i, path, host, start, size, messages, lpLat));
        List<DsReader> sseReaders = newReaders(sse,
                i -> new DsReader.Sse(readerCohort, client, i, path, host, start, size, messages, sseLat));
        lpReaders.forEach(DsReader::connect);
        sseReaders.forEach(DsReader::connect);
        List<String> setupErrors = new ArrayList<>();
        if (readerCohort != null && !readerCohort.awaitOpened(openDeadline)) {
            setupErrors.add(readerCohort.pendingOpen() + " of " + readerCohort.size() + " readers not open after "
                    + CONNECT_SECONDS + " s");
        }
        Cohort appenderCohort = new Cohort("appender", 1);
        Histogram appendLat = new Histogram();
        DsAppender.Paced appender = new DsAppender.Paced(appenderCohort, client, path, host, size, messages,
                1_000_000_000L / rate, appendLat);
        appender.connect();
        if (!appenderCohort.awaitOpened(openDeadline)) {
            setupErrors.add("the appender's connection was not open after " + CONNECT_SECONDS + " s");
        }

        Meter meter = new Meter(target, client);
        long t0 = System.nanoTime();
        appender.start();
        boolean appended = appenderCohort.awaitFinished(t0 + TimeUnit.SECONDS.toNanos(seconds + LATE_APPENDS_SECONDS));
        boolean appenderOk = appended && appender.error() == null;
        boolean read = readerCohort == null || readerCohort.awaitFinished(System.nanoTime()
                + TimeUnit.SECONDS.toNanos(appenderOk ? LATE_READERS_SECONDS : 5));
        long t1 = System.nanoTime();
        meter.stop(lp, ss);

        List<String> runErrors = new ArrayList<>(setupErrors);
        runErrors.addAll(appenderCohort.errors());
        addAppendedError(runErrors, appender.appended(), messages, appended);
        DsReadersRun run = new DsReadersRun(DsReadersRun.latency(appendLat), runErrors, messages, size, read,
                (t1 - t0) / 1e9);
        run.report(lp, lpReaders, lpLat);
        run.report(ss, sseReaders, sseLat);
        return List.of(lp, ss);
    }

    /** {@code count} readers, the i-th made by {@code reader}; not connected yet. */
    private static List<DsReader> newReaders(int count, IntFunction<DsReader> reader) {
        List<DsReader> readers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            readers.add(reader.apply(i));
        }
        return readers;
    }

    /** Adds an error if the appender did not append all {@code messages} ({@code inTime}: it finished). */
    private static void addAppendedError(List<String> errors, long appended, long messages, boolean inTime) {
        if (appended != messages) {
            errors.add("appended " + appended + " of " + messages
                    + (inTime ? "" : " by " + LATE_APPENDS_SECONDS + " s after the end"));
        }
    }

    /** A ds-readers result before the run, with its parameters. */
    private Result readersResult(String readers, int count, String otherReaders, int size, int rate, long seconds) {
        return new Result("ds-readers", target.label()).param("readers", readers).param("count", count)
                .param("otherReaders", otherReaders).param("messageSize", size).param("rate", rate)
                .param("seconds", seconds);
    }

    // ------------------------------------------------------------ single requests

    /** A whole response: status, {@code Stream-Next-Offset} (or null), {@code Stream-Up-To-Date}, body. */
    record Response(int status, String nextOffset, boolean upToDate, byte[] body) {
    }

    /**
     * Sends one request on a new connection ({@code Connection: close}) and waits for the whole
     * response; {@code body} null sends none (and no Content-Type). For setting up and verifying, not
     * for load.
     */
    Response exchange(String method, String pathAndQuery, byte[] body) throws Exception {
        Exchange e = new Exchange(method + " " + pathAndQuery, body);
        DsConnection.open(client, e, null);
        try {
            return e.result.get(EXCHANGE_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException x) {
            throw new IOException(method + " " + pathAndQuery + ": " + x.getCause().getMessage(), x.getCause());
        }
    }

    /** One request and its response. Confined to its connection's event loop; the result to any thread. */
    private final class Exchange implements DsConnection.Listener {
        final CompletableFuture<Response> result = new CompletableFuture<>();
        private final String requestLine;
        private final byte[] body;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();

        Exchange(String requestLine, byte[] body) {
            this.requestLine = requestLine;
            this.body = body;
        }

        @Override
        public void onConnected(DsConnection c) {
            StringBuilder h = new StringBuilder(requestLine).append(" HTTP/1.1\r\nHost: ").append(host)
                    .append("\r\n").append(RequestAuth.line()).append("Connection: close\r\n");
            if (body != null) {
                h.append("Content-Type: ").append(TYPE).append("\r\nContent-Length: ").append(body.length)
                        .append("\r\n");
            }
            h.append("\r\n");
            ByteBuf b = c.requestBuffer().clear();
            b.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
            if (body != null) {
                b.writeBytes(body);
            }
            c.send();
        }

        @Override
        public void onHead(DsConnection c, int status) {
        }

        @Override
        public void onBody(DsConnection c, ByteBuf buf, int index, int length, long nowNanos) {
            try {
                buf.getBytes(index, received, length);
            } catch (IOException e) {
                throw new IllegalStateException(e); // a ByteArrayOutputStream does not throw
            }
        }

        @Override
        public void onEnd(DsConnection c, long nowNanos) {
            result.complete(new Response(c.status(), c.nextOffset().present() ? c.nextOffset().toString() : null,
                    c.upToDate(), received.toByteArray()));
        }

        @Override
        public void onClosed(DsConnection c) {
            result.completeExceptionally(new IOException(c.problem() != null ? c.problem()
                    : "connection closed before the whole response"));
        }
    }
}
