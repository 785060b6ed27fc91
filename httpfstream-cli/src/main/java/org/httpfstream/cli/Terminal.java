package org.httpfstream.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the progress line needs to know about the process's standard streams: whether stderr is a
 * terminal, and how many bytes stdin holds when it is a regular file.
 *
 * <p>Not {@link System#console()}: it is null as soon as stdin or stdout is redirected, which is how both
 * tools are used ({@code append < file}, {@code follow > file}), while stderr is still the terminal. The
 * JDK 17 has no isatty for stderr, so the answer comes, in order, from the system property {@value
 * #STDERR_PROPERTY} ({@code true} or {@code false}), which the bin scripts set from the shell's
 * {@code [ -t 2 ]}, then, on Linux, from where {@code /proc/self/fd/2} leads (a {@code /dev/pts/} or
 * {@code /dev/tty} device); anything else is not a terminal.
 *
 * <p>Thread safety: stateless.
 */
final class Terminal {

    /** The system property saying whether stderr is a terminal; the bin scripts set it. */
    static final String STDERR_PROPERTY = "httpfstream.stderr.terminal";

    private Terminal() {
    }

    /** Whether stderr is a terminal, as the class comment says how it is found out. */
    static boolean stderrIsTerminal() {
        String said = System.getProperty(STDERR_PROPERTY);
        if (said != null && !said.isBlank()) {
            return Boolean.parseBoolean(said.strip());
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false; // not Linux, or no /proc
        }
    }

    /**
     * The bytes left to read on stdin when it is a regular file (its size less the current position), or
     * -1 when that is unknown: a pipe, a terminal, a device, an empty file.
     */
    static long stdinSize() {
        // Not closed: closing the channel would close file descriptor 0. A FileInputStream made from a
        // FileDescriptor registers no cleaner either.
        FileChannel channel = new FileInputStream(FileDescriptor.in).getChannel();
        try {
            long position = channel.position(); // fails on a pipe or terminal: "Illegal seek"
            long size = channel.size(); // 0 for a device
            return size > position ? size - position : -1;
        } catch (IOException e) {
            return -1;
        }
    }
}
