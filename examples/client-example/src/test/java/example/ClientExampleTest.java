package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientExampleTest {

    @Test
    void theFollowerReadsEveryLineAppendedThenTheEnd(@TempDir Path root) throws Exception {
        assertEquals("compiling\ntests passed\n", ClientExample.run(root));
    }
}
