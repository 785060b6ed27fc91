package org.httpfstream.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * Every end-to-end test again with {@code httpfstream server -store=memory}: the original protocol
 * (WebSocket APPEND and FOLLOW, plain GET) served from memory, with nothing of the streams under the root.
 */
@EndToEndTest.InMemory
class MemoryStoreEndToEndTest extends EndToEndTest {

    @Test
    void theStreamsBytesAreServedWithoutAFileUnderTheRoot() throws IOException {
        CliProcess append = startAppender();
        append.write("in memory\n");
        append.closeStdin();
        assertThat(append.awaitExit(TIMEOUT)).as("stderr: %s", append.stderrText()).isZero();
        assertThat(new String(stored(), UTF_8)).isEqualTo("in memory\n");
        assertThat(Files.exists(file())).isFalse();
    }
}
