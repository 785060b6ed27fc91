package org.httpfstream.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.httpfstream.cli.SoakHistory.Follower;
import org.httpfstream.cli.SoakHistory.Op;
import org.httpfstream.cli.SoakHistory.Outcome;
import org.httpfstream.client.FollowInputStream;
import org.httpfstream.client.HttpFStreamClient;
import org.httpfstream.client.WriterConflictException;
import org.httpfstream.testing.NatsCluster;

/**
 * The fault tests' world: front nodes ({@code httpfstream server -store=nats} processes, killed with
 * SIGKILL and started again on a new port), writers and followers on every protocol that move to another
 * front node when theirs dies, and the faults (SIGKILL and restart of a NATS node or a front node,
 * SIGSTOP/SIGCONT of one), all recorded in a {@link SoakHistory}.
 *
 * <p>Writers: two per stream on different front nodes, contending for the single-writer lease; each
 * operation is an original-protocol WebSocket append session of one to three lines (the Java client; its
 * close returns once the server confirmed the bytes: that is the acknowledgement). Followers: per stream
 * one WebSocket FOLLOW (the Java client, its own automatic resume included), one plain {@code ?follow} and
 * one Durable Streams long-poll, each on another front node, each resuming at its own offset on another
 * node when its connection dies.
 *
 * <p>Thread safety: thread safe. Each writer, follower and the fault loop runs on a {@link Worker} of its
 * own; front nodes' state is volatile; kill/start of a front node is done by one thread at a time (the
 * fault loop, or the test's thread when no fault loop runs).
 */
final class SoakRun implements AutoCloseable {

    /** A front node: one {@code httpfstream server -store=nats} process at a time, on the port it logs. */
    final class FrontNode {
        final String name;
        private volatile CliProcess process;
        private volatile int port;
        private volatile boolean up;

        FrontNode(String name) {
            this.name = name;
        }

        void start() {
            CliProcess p = CliProcess.start("server", "-store=nats", "-nats=" + String.join(",", nats.urls()),
                    "-http=127.0.0.1:0", "-root=" + root.resolve(name), "-long-poll-timeout=2s",
                    "-drain-timeout=1s");
            process = p;
            started.add(p);
            port = p.awaitPort(Duration.ofSeconds(120));
            up = true;
            history.event(name + " started on port " + port);
        }

        void kill() {
            up = false;
            int code = process.kill(Duration.ofSeconds(30));
            history.event(name + " SIGKILLed (exit " + code + ")");
        }

        void signal(String signal) {
            SoakRun.signal(process.pid(), signal);
            history.event(name + " " + signal);
        }

        boolean up() {
            return up;
        }

        URI uri(String path) {
            return URI.create("http://127.0.0.1:" + port + path);
        }

        void close() {
            CliProcess p = process;
            if (p != null && up) {
                up = false;
                p.kill(Duration.ofSeconds(30));
            }
        }
    }

    final NatsCluster nats;
    final Path root;
    final String prefix;
    final int streams;
    final SoakHistory history = new SoakHistory();
    final List<FrontNode> nodes = new ArrayList<>();
    /** Problems the followers saw on the wire (a wrong {@code Stream-Offset}, say). */
    final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    /** Every front node process started, for their logs. */
    private final ConcurrentLinkedQueue<CliProcess> started = new ConcurrentLinkedQueue<>();
    private final ServerProcesses workers;
    private final List<Worker> writerLoops = new ArrayList<>();
    private final List<Worker> followerLoops = new ArrayList<>();
    private final HttpFStreamClient client = HttpFStreamClient.builder().connectTimeout(Duration.ofSeconds(3))
            .readTimeout(Duration.ofSeconds(15)).resumeTimeout(Duration.ofSeconds(2)).build();

    SoakRun(NatsCluster nats, Path root, ServerProcesses workers, String prefix, int frontNodes, int streams) {
        this.nats = nats;
        this.root = root;
        this.workers = workers;
        this.prefix = prefix;
        this.streams = streams;
        for (int i = 0; i < frontNodes; i++) {
            nodes.add(new FrontNode("front" + i));
        }
    }

    void startNodes() {
        nodes.forEach(FrontNode::start);
    }

    String path(int stream) {
        return prefix + "/s" + stream + ".log";
    }

    /** The first running front node from {@code preferred} on (round robin). */
    FrontNode node(int preferred) {
        for (int i = 0; i < nodes.size(); i++) {
            FrontNode n = nodes.get(Math.floorMod(preferred + i, nodes.size()));
            if (n.up()) {
                return n;
            }
        }
        return nodes.get(Math.floorMod(preferred, nodes.size())); // all down: it fails and is tried again
    }

    /** Starts two writers per stream, on different front nodes. */
    void startWriters() {
        for (int s = 0; s < streams; s++) {
            for (int k = 0; k < 2; k++) {
                int stream = s;
                int writer = 2 * s + k;
                writerLoops.add(workers.worker("writer w" + writer, w -> write(w, stream, writer)));
            }
        }
    }

    /** Starts three followers per stream (WebSocket, {@code ?follow}, long-poll), each on another node. */
    void startFollowers() {
        for (int s = 0; s < streams; s++) {
            int stream = s;
            Follower ws = history.follower("s" + s + "/websocket", s);
            followerLoops.add(workers.worker(ws.name, w -> followWebSocket(w, ws, stream)));
            Follower plain = history.follower("s" + s + "/follow", s);
            followerLoops.add(workers.worker(plain.name, w -> followPlain(w, plain, stream + 1)));
            Follower poll = history.follower("s" + s + "/long-poll", s);
            followerLoops.add(workers.worker(poll.name, w -> longPoll(w, poll, stream + 2)));
        }
    }

    private void write(Worker w, int stream, int writer) {
        Random random = new Random(writer);
        int preferred = writer;
        for (long op = 0; !w.stopping(); op++) {
            FrontNode node = node(preferred);
            int n = 1 + random.nextInt(3);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                lines.add(SoakHistory.line(stream, writer, op, i, random.nextInt(40)));
            }
            long invoked = System.nanoTime();
            OutputStream out;
            try {
                out = client.openAppend(node.uri(path(stream)));
            } catch (IOException e) {
                history.record(new Op(stream, writer, op, lines, invoked, System.nanoTime(), Outcome.FAILED,
                        node.name, e.toString()));
                if (!(e instanceof WriterConflictException)) {
                    preferred++; // that node is down or paused: go to the next
                }
                pace(20 + random.nextInt(100));
                continue;
            }
            try (out) {
                for (String line : lines) {
                    out.write(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                history.record(new Op(stream, writer, op, lines, invoked, System.nanoTime(), Outcome.INDETERMINATE,
                        node.name, e.toString()));
                preferred++;
                continue;
            }
            history.record(new Op(stream, writer, op, lines, invoked, System.nanoTime(), Outcome.OK, node.name,
                    null));
            w.progress(op + 1);
            pace(random.nextInt(10));
        }
    }

    private void followWebSocket(Worker w, Follower f, int preferred) {
        byte[] buffer = new byte[8192];
        while (!w.stopping()) {
            FrontNode node = node(preferred);
            long from = f.position();
            long got = 0;
            try (FollowInputStream in = client.follow(node.uri(path(f.stream)), hex(from))) {
                int n;
                while ((n = in.read(buffer)) != -1) {
                    f.received(buffer, 0, n);
                    got += n;
                }
                if (got == 0) {
                    pace(100); // no writer: the follow ended at once; ask again in a while
                }
            } catch (NoSuchFileException e) {
                pace(100);
            } catch (IOException e) {
                f.event("via " + node.name + " from " + from + " (+" + got + "): " + e);
                preferred++;
                pace(50);
            }
        }
    }

    private void followPlain(Worker w, Follower f, int preferred) throws InterruptedException {
        HttpClient http = ServerProcesses.httpClient();
        byte[] buffer = new byte[8192];
        while (!w.stopping()) {
            FrontNode node = node(preferred);
            long from = f.position();
            long got = 0;
            try {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
                        node.uri(path(f.stream) + "?follow&offset=" + hex(from))).timeout(Duration.ofSeconds(10))
                        .build(), BodyHandlers.ofInputStream());
                try (InputStream in = r.body()) {
                    if (r.statusCode() != 200) {
                        f.event("via " + node.name + " from " + from + ": " + r.statusCode());
                        in.readAllBytes();
                        pace(100);
                        continue;
                    }
                    String offset = r.headers().firstValue("Stream-Offset").orElse(null);
                    if (!hex(from).equals(offset)) {
                        problems.add(f.name + " via " + node.name + ": asked offset " + hex(from)
                                + ", Stream-Offset " + offset);
                    }
                    int n;
                    while ((n = in.read(buffer)) != -1) {
                        f.received(buffer, 0, n);
                        got += n;
                    }
                }
                if (got == 0) {
                    pace(100);
                }
            } catch (IOException e) {
                f.event("via " + node.name + " from " + from + " (+" + got + "): " + e);
                preferred++;
                pace(50);
            }
        }
    }

    private void longPoll(Worker w, Follower f, int preferred) throws InterruptedException {
        HttpClient http = ServerProcesses.httpClient();
        while (!w.stopping()) {
            FrontNode node = node(preferred);
            long from = f.position();
            try {
                HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                        node.uri(path(f.stream) + "?offset=" + hex(from) + "&live=long-poll"))
                        .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofByteArray());
                byte[] body = r.body();
                if (r.statusCode() == 200) {
                    f.received(body, 0, body.length);
                    String next = r.headers().firstValue("Stream-Next-Offset").orElse(null);
                    if (!hex(from + body.length).equals(next)) {
                        problems.add(f.name + " via " + node.name + ": from " + hex(from) + " got " + body.length
                                + " bytes, Stream-Next-Offset " + next);
                    }
                } else if (r.statusCode() != 204) {
                    f.event("via " + node.name + " from " + from + ": " + r.statusCode() + " "
                            + SoakHistory.text(body).strip());
                    pace(100);
                }
            } catch (IOException e) {
                f.event("via " + node.name + " from " + from + ": " + e);
                preferred++;
                pace(50);
            }
        }
    }

    /**
     * Random faults until {@code endNanos} ({@link System#nanoTime()}), one at a time, each healed before the next: SIGKILL of
     * a NATS node (restarted after 1–4 s; R3 tolerates one node down, never two), SIGKILL of a front node
     * (started again after 1–3 s), SIGSTOP of a front node or a NATS node for 0.5–3 s.
     */
    void faults(Worker w, long seed, long endNanos) throws Exception {
        Random random = new Random(seed);
        history.event("faults, seed " + seed);
        while (!w.stopping() && System.nanoTime() < endNanos) {
            pace(1000 + random.nextInt(3000));
            if (w.stopping() || System.nanoTime() >= endNanos) {
                break;
            }
            switch (random.nextInt(5)) {
                case 0, 1 -> {
                    int i = random.nextInt(NatsCluster.NODES);
                    nats.kill(i);
                    history.event("nats n" + i + " SIGKILLed");
                    pace(1000 + random.nextInt(3000));
                    nats.restart(i);
                    history.event("nats n" + i + " restarted and healthy");
                }
                case 2, 3 -> {
                    FrontNode n = nodes.get(random.nextInt(nodes.size()));
                    n.kill();
                    pace(1000 + random.nextInt(2000));
                    n.start();
                }
                default -> {
                    if (random.nextBoolean()) {
                        FrontNode n = nodes.get(random.nextInt(nodes.size()));
                        n.signal("STOP");
                        pace(500 + random.nextInt(2500));
                        n.signal("CONT");
                    } else {
                        int i = random.nextInt(NatsCluster.NODES);
                        signal(nats.pid(i), "STOP");
                        history.event("nats n" + i + " STOP");
                        pace(500 + random.nextInt(2500));
                        signal(nats.pid(i), "CONT");
                        history.event("nats n" + i + " CONT");
                    }
                }
            }
            w.progress(w.progress() + 1);
        }
    }

    /** Stops the writers and waits until they ended. */
    void stopWriters() {
        writerLoops.forEach(Worker::stop);
        writerLoops.forEach(w -> w.awaitEnd(Duration.ofSeconds(60)));
        history.event("writers stopped: " + history.summary());
    }

    /**
     * The stream's final bytes: read through every front node until all answer 200 (or 404) with the same
     * bytes (a node's view may still be applying the last records, or waiting on the cluster after the last
     * fault), within 90 s.
     */
    String finalText(int stream) throws IOException, InterruptedException {
        HttpClient http = ServerProcesses.httpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        List<String> seen = new ArrayList<>();
        while (true) {
            seen.clear();
            boolean answered = true;
            for (FrontNode n : nodes) {
                try {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(n.uri(path(stream)))
                            .timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofByteArray());
                    answered &= r.statusCode() == 200 || r.statusCode() == 404;
                    seen.add(r.statusCode() == 200 ? SoakHistory.text(r.body()) : "status " + r.statusCode());
                } catch (IOException e) { // a front node still waiting on the cluster after the last fault
                    answered = false;
                    seen.add(e.toString());
                }
            }
            if (answered && seen.stream().distinct().count() == 1) {
                return seen.get(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the front nodes disagree on " + path(stream) + " after 90 s: "
                        + seen.stream().map(t -> t.length() > 80 ? t.length() + " bytes" : t).toList());
            }
            pace(100); // polling: the views send no event we could wait on from here
        }
    }

    /** Waits until every follower of {@code stream} has {@code length} bytes (or more), then stops them. */
    void awaitFollowers(int stream, long length) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Follower f : history.followers) {
            if (f.stream != stream) {
                continue;
            }
            while (f.position() < length && System.nanoTime() < deadline) {
                pace(50); // polling a counter of another thread
            }
        }
    }

    void stopFollowers() {
        followerLoops.forEach(Worker::stop);
    }

    /**
     * The front nodes' logged errors and warnings (with the first lines of their stack traces), at most
     * {@code max} lines, for the history printed after a run.
     */
    String serverErrors(int max) {
        List<String> out = new ArrayList<>();
        for (CliProcess p : started) {
            String[] lines = p.stderrText().split("\n");
            for (int i = 0; i < lines.length && out.size() < max; i++) {
                if (lines[i].contains(" ERROR ") || lines[i].contains(" WARN ")) {
                    out.add("pid " + p.pid() + ": " + lines[i]);
                    for (int j = i + 1; j < lines.length && j <= i + 4 && out.size() < max; j++) {
                        if (lines[j].startsWith("\t") || lines[j].startsWith("Caused by")
                                || lines[j].startsWith("java.") || lines[j].startsWith("io.")) {
                            out.add("    " + lines[j].strip());
                        }
                    }
                }
            }
        }
        return String.join("\n", out);
    }

    @Override
    public void close() {
        writerLoops.forEach(Worker::stop);
        followerLoops.forEach(Worker::stop);
        nodes.forEach(FrontNode::close);
    }

    static String hex(long offset) {
        return String.format("%016x", offset);
    }

    /** Sends {@code kill -SIGNAL pid} to a process this test started. */
    static void signal(long pid, String signal) {
        try {
            Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new AssertionError("kill -" + signal + " " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** A pause between tries or faults (pacing the workload, never waiting for an event). */
    static void pace(long millis) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis + ThreadLocalRandom.current().nextInt(1)));
    }
}
