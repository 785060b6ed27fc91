package org.httpfstream.server.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.httpfstream.server.HttpFStreamServer;
import org.httpfstream.testing.ThreadLeaks;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension itself: what it starts, what it keeps across a restart, and what it checks and removes after. */
class ServerExtensionTest {
    @RegisterExtension
    final ServerExtension server = new ServerExtension().fsync(true);

    @Test
    void startsAServerOnLoopbackWithATemporaryRootBeforeTheTest() throws Exception {
        assertThat(server.address().getAddress().isLoopbackAddress()).isTrue();
        assertThat(server.address().getPort()).isPositive();
        assertThat(server.root()).isEqualTo(server.folder().resolve("root")).isDirectory();
        assertThat(server.uri().toString()).isEqualTo("http://127.0.0.1:" + server.address().getPort() + "/");
        assertThat(server.uri("/a%20b/c.txt?offset=-1").getRawPath()).as("as given").isEqualTo("/a%20b/c.txt");
        assertThat(server.uri("/a%20b/c.txt?offset=-1").getRawQuery()).isEqualTo("offset=-1");
        assertThat(server.send("PUT", "/a.txt", "hello", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        assertThat(server.root().resolve("a.txt")).hasContent("hello");
    }

    @Test
    void restartKeepsTheRootAndTakesNewSettings() throws Exception {
        HttpFStreamServer first = server.get();
        assertThat(server.send("PUT", "/a.txt", "kept", "Content-Type", "text/plain").statusCode()).isEqualTo(201);
        HttpFStreamServer second = server.restart(b -> b.maxReadBytes(2));
        assertThat(second).isNotSameAs(first);
        assertThat(first.isDraining()).as("the first is closed").isTrue();
        assertThat(second.root()).isEqualTo(first.root());
        assertThat(server.send("GET", "/a.txt?offset=-1", null).body()).as("capped at 2 bytes").isEqualTo("ke");
    }

    @Test
    void stopLeavesNoServerUntilTheNextStart() throws Exception {
        server.stop();
        server.stop(); // idempotent
        assertThatThrownBy(server::get).isInstanceOf(IllegalStateException.class);
        assertThatCode(server::start).doesNotThrowAnyException();
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anotherServerHasARootOfItsOwn() throws Exception {
        HttpFStreamServer other = server.startAnother(b -> { });
        assertThat(other.root()).isNotEqualTo(server.root()).startsWith(server.folder());
        assertThat(other.port()).isNotEqualTo(server.get().port());
    }

    @Test
    void aGrantFileIsWrittenBesideTheRootBeforeTheServerStarts() throws Exception {
        ServerExtension own = new ServerExtension().tokens("t read /\n");
        own.beforeEach(null);
        try {
            assertThat(own.tokens()).hasContent("t read /\n").hasParent(own.folder());
            assertThat(own.send("GET", "/x", null).statusCode()).isEqualTo(401);
            assertThat(own.send("GET", "/x", null, "Authorization", "Bearer t").statusCode()).isEqualTo(404);
        } finally {
            own.afterEach(null);
        }
    }

    @Nested
    class AfterEachTest {
        @Test
        void everyServerIsClosedAndTheFolderDeleted() throws Exception {
            ServerExtension own = new ServerExtension();
            own.beforeEach(null);
            HttpFStreamServer first = own.get();
            HttpFStreamServer other = own.startAnother(b -> { });
            Path folder = own.folder();
            Files.setPosixFilePermissions(Files.createDirectories(own.root().resolve("locked")),
                    java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
            own.afterEach(null);
            assertThat(first.isDraining()).isTrue();
            assertThat(other.isDraining()).isTrue();
            assertThat(folder).doesNotExist();
        }

        @Test
        void aServerThreadStillRunningFailsTheCheck() throws Exception {
            ThreadLeaks threads = ThreadLeaks.snapshot();
            CountDownLatch release = new CountDownLatch(1);
            Thread leaked = new Thread(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "httpfstream-leaked");
            leaked.start();
            try {
                assertThatThrownBy(() -> threads.assertNoneLeftSince(Duration.ofMillis(50)))
                        .isInstanceOf(AssertionError.class).hasMessageContaining("httpfstream-leaked");
            } finally {
                release.countDown();
                leaked.join();
            }
            threads.assertNoneLeftSince(Duration.ofMillis(50));
        }

        @Test
        void otherThreadsAreNotTheServers() {
            assertThat(ThreadLeaks.isServerThread("httpfstream-sync")).isTrue();
            assertThat(ThreadLeaks.isServerThread("multiThreadIoEventLoopGroup-3-1")).isTrue();
            assertThat(ThreadLeaks.isServerThread("HttpClient-1-SelectorManager")).isFalse();
            assertThat(ThreadLeaks.isServerThread("junit-timeout-thread-1")).isFalse();
        }
    }
}
