package org.httpfstream.json;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * A by-hand measurement of {@link JsonMessages#split}, all the JSON work of a Durable Streams JSON-mode
 * append: from the request's bytes to the bytes the stream appends (not a test: nothing asserts a
 * speed). Three bodies: one small object (the bench's 100-byte
 * appends), a batch of 100 objects, and a 1 MB array of string-heavy messages with escapes and
 * non-ASCII text. Each is split for 2 s to warm up, then for 5 rounds of 2 s; each round prints
 * operations and MB per second of this thread's CPU time (not wall time: on a shared machine that
 * varies far less).
 *
 * <pre>
 * mvn -q -o -pl httpfstream-server test-compile
 * java -cp httpfstream-server/target/classes:httpfstream-server/target/test-classes:$JACKSON_CORE_JAR \
 *     org.httpfstream.json.JsonSplitMicro
 * </pre>
 *
 * <p>Thread safety: run from one thread.
 */
public final class JsonSplitMicro {
    private static volatile int sink;

    private JsonSplitMicro() {}

    public static void main(String[] args) {
        String small = "{\"n\":12345,\"text\":\"hello world, a message\",\"ok\":true,\"tags\":[\"a\",\"b\"],\"v\":1.5}";
        StringBuilder batch = new StringBuilder("[");
        for (int i = 0; i < 100; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"n\": ").append(i).append(", \"text\": \"message number ")
                    .append(i).append("\", \"ok\": true, \"v\": ").append(i * 0.5).append('}');
        }
        batch.append(']');
        StringBuilder big = new StringBuilder("[\n");
        String text = "caf\u00e9 \\\"quoted\\\" \\u00e9 line\\nbreak " + "x".repeat(960);
        for (int i = 0; i < 1000; i++) {
            big.append(i == 0 ? "" : ",\n").append("  {\"id\": ").append(i).append(", \"body\": \"").append(text)
                    .append("\", \"meta\": {\"k\": [1, 2, 3], \"z\": null}}");
        }
        big.append("\n]");
        for (String[] c : new String[][] {{"small", small}, {"batch100", batch.toString()}, {"big1MB", big.toString()}}) {
            run(c[0], c[1].getBytes(UTF_8));
        }
    }

    private static void run(String name, byte[] body) {
        measure(body, 2_000_000_000L);
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = 0; round < 5; round++) {
            long t0 = cpu.getCurrentThreadCpuTime();
            long ops = measure(body, 2_000_000_000L);
            double s = (cpu.getCurrentThreadCpuTime() - t0) / 1e9;
            System.out.printf("%-9s %7d bytes  %10.0f ops/cpu-s  %8.1f MB/cpu-s%n", name, body.length, ops / s,
                    ops * (double) body.length / s / 1e6);
        }
    }

    private static long measure(byte[] body, long nanos) {
        long end = System.nanoTime() + nanos;
        long ops = 0;
        while (System.nanoTime() < end) {
            for (int i = 0; i < 16; i++) {
                sink += JsonMessages.split(body).lines().length;
            }
            ops += 16;
        }
        return ops;
    }
}
