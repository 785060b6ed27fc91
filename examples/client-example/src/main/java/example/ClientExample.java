package example;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.httpfstream.client.HttpFStream;
import org.httpfstream.server.HttpFStreamServer;

/**
 * Embeds an httpfstream server, appends to a stream and follows it while it grows: the follower reads
 * what was written before it came, then each line as it is appended, then the end when the appender
 * closes.
 */
public final class ClientExample {

    private ClientExample() {
    }

    public static void main(String[] args) throws IOException {
        System.out.print(run(Files.createTempDirectory("httpfstream-example-")));
    }

    /** Runs the example on a server storing its streams under {@code root}; returns what the follower read. */
    public static String run(Path root) throws IOException {
        try (HttpFStreamServer server = HttpFStreamServer.builder().root(root).bind("127.0.0.1", 0).build().start()) {
            URI log = server.uri().resolve("/builds/42.log");
            byte[] first = "compiling\n".getBytes(UTF_8);
            byte[] second = "tests passed\n".getBytes(UTF_8);
            StringBuilder read = new StringBuilder();
            try (OutputStream append = HttpFStream.openAppend(log)) {
                append.write(first); // sent at once: a follower sees it before the append ends
                try (InputStream follow = HttpFStream.follow(log)) {
                    read.append(new String(follow.readNBytes(first.length), UTF_8));
                    append.write(second);
                    read.append(new String(follow.readNBytes(second.length), UTF_8));
                    append.close(); // the end of the stream for its followers
                    if (follow.read() != -1) {
                        throw new IOException("the follower read past the end of " + log);
                    }
                }
            }
            return read.toString();
        }
    }
}
