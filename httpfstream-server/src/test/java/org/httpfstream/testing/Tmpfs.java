package org.httpfstream.testing;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted on a folder for one test: a real full or read-only disk. Mounting needs root and
 * {@code mount}; without them the test is skipped with a message saying so, except under CI ({@code
 * CI=true}, where the tests run as root), where it fails instead, so that a skip cannot hide the real
 * disk. Test helper; stateless.
 */
public final class Tmpfs {
    private Tmpfs() {}

    /** Mounts a tmpfs of {@code size} (as mount says it: {@code 1m}) on {@code folder}, or skips the test. */
    public static void mountOrSkip(Path folder, String size) throws InterruptedException {
        String failure = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", folder.toString());
        String missing = "cannot mount a tmpfs of " + size + " here (needs root and mount): " + failure;
        if (failure != null && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(missing); // CI runs as root: there, a skip would hide the real disk
        }
        Assumptions.assumeTrue(failure == null, missing);
    }

    /**
     * Unmounts {@code folder}, lazily: a closed server's tail marks stay mapped (so the file system busy)
     * until a GC unmaps them.
     */
    public static void unmount(Path folder) throws InterruptedException {
        assertThat(run("umount", "-l", folder.toString())).as("umount " + folder).isNull();
    }

    /** Runs a command; null if it succeeded, else what it said. */
    public static String run(String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), UTF_8).trim();
            boolean done = p.waitFor(30, TimeUnit.SECONDS);
            return done && p.exitValue() == 0 ? null : done ? "exit " + p.exitValue() + ": " + out : "did not finish";
        } catch (IOException e) {
            return e.toString();
        }
    }
}
