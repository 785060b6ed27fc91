package org.httpfstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The follower's wire handling against a scripted server on a plain socket. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PeerTest {
    @RegisterExtension
    final ScriptedServer scripted = new ScriptedServer();

    /**
     * Starts {@code script}, then one follower of {@code /x.log} in {@code cohort} (a WebSocket if {@code
     * upgrade}, else a plain GET); returns it once it and the script have finished.
     */
    private Follower follow(Thread script, Cohort cohort, boolean upgrade) throws Exception {
        script.start();
        Follower f = scripted.client().connect(new Follower(cohort, 0, "/x.log", upgrade, false, false, null),
                ScriptedServer.deadline());
        assertThat(cohort.awaitFinished(ScriptedServer.deadline())).isTrue();
        script.join();
        return f;
    }

    @Test
    void aFollowerReadsFramesSplitAcrossReadsAnswersPingsAndEndsOnClose1000() throws Exception {
        byte[] data = new byte[70_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + (i >> 8)); // not UTF-8, as the protocol allows
        }
        CompletableFuture<byte[]> pong = new CompletableFuture<>();
        Thread server = new Thread(() -> {
            try (Socket s = scripted.accept()) {
                String head = readHead(s.getInputStream());
                String key = head.lines().filter(l -> l.startsWith("Sec-WebSocket-Key:"))
                        .findFirst().orElseThrow().substring(18).trim();
                String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                        .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                                .getBytes(StandardCharsets.US_ASCII)));
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                // TEXT, not final, 100 bytes; then a ping; then continuation with 64-bit length.
                out.write(new byte[] {0x01, 100});
                out.write(data, 0, 60);
                out.flush();
                out.write(data, 60, 40);
                out.write(new byte[] {(byte) 0x89, 3, 'a', 'b', 'c'});
                int rest = data.length - 100;
                out.write(new byte[] {(byte) 0x80, 127, 0, 0, 0, 0, 0, (byte) (rest >> 16),
                    (byte) (rest >> 8), (byte) rest});
                out.write(data, 100, rest);
                out.flush();
                InputStream in = s.getInputStream();
                byte[] frame = in.readNBytes(9); // the client's masked pong with 3 bytes
                byte[] unmasked = new byte[3];
                for (int i = 0; i < 3; i++) {
                    unmasked[i] = (byte) (frame[6 + i] ^ frame[2 + i]);
                }
                pong.complete(new byte[] {frame[0], frame[1], unmasked[0], unmasked[1], unmasked[2]});
                out.write(new byte[] {(byte) 0x88, 2, 0x03, (byte) 0xE8});
                out.flush();
                in.readNBytes(8); // the client's Close
            } catch (Exception e) {
                pong.completeExceptionally(e);
            }
        });
        Cohort cohort = new Cohort("follower", 1);
        Follower f = follow(server, cohort, true);

        CRC32C crc = new CRC32C();
        crc.update(data);
        assertThat(f.verify(101, data.length, crc.getValue())).as("%s", cohort.errors()).isTrue();
        assertThat(pong.get()).containsExactly((byte) 0x8A, (byte) 0x83, 'a', 'b', 'c');
    }

    @Test
    void aWrongByteInA200BodyFailsVerificationWithTheRightCountAndAnotherChecksum() throws Exception {
        byte[] data = "every byte counts, and so does its value".getBytes(StandardCharsets.US_ASCII);
        CRC32C crc = new CRC32C();
        crc.update(data);
        byte[] wrong = data.clone();
        wrong[5] ^= 1;
        Thread server = new Thread(() -> {
            try (Socket s = scripted.accept()) {
                readHead(s.getInputStream());
                OutputStream out = s.getOutputStream();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + wrong.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(wrong);
                out.flush();
                s.getInputStream().read(); // until the client closes
            } catch (IOException e) {
                // the test's assertions tell
            }
        });
        Cohort cohort = new Cohort("reader", 1);
        Follower f = follow(server, cohort, false);

        assertThat(f.bytes()).isEqualTo(data.length);
        assertThat(f.verify(200, data.length, crc.getValue())).isFalse();
        assertThat(cohort.errors()).singleElement().asString().contains("CRC32C");
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int last4 = 0;
        while (last4 != 0x0D0A0D0A) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("request head cut short");
            }
            head.write(b);
            last4 = (last4 << 8) | b;
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
