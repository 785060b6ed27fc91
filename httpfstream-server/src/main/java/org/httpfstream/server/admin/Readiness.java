package org.httpfstream.server.admin;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Whether a server should get traffic: not while it drains, and not while its store cannot be written.
 * Writability is tested for real: a probe file under the store's private folder ({@code
 * ROOT/.httpfstream/readyz.probe}) is written, synced and deleted — what fails when the file system is
 * read-only, full or gone, whoever the server runs as. A probe's answer is kept for {@link #PROBE_TTL_MS}
 * ms, so probes that come often cost one write a second at most.
 *
 * <p>Thread safety: safe for use by any thread. {@link #check()} does file I/O and may block: call it
 * off the event loops. The probe is guarded by this object's monitor (one probe at a time); the
 * draining flag and the last answer are volatile.
 */
public final class Readiness {
    /** How long a probe's answer is reused. */
    public static final long PROBE_TTL_MS = 1000;
    /** The probe file's name in the store's private folder. */
    public static final String PROBE_FILE = "readyz.probe";

    private final Path privateFolder;
    private volatile boolean draining;
    private volatile Answer last; // null before the first probe

    /** An answer: null reason if ready, else one line saying why not; when it was found. */
    private record Answer(String reason, long atNanos) { }

    /** @param privateFolder the store's private folder, {@code ROOT/.httpfstream} (made if missing) */
    public Readiness(Path privateFolder) {
        this.privateFolder = Objects.requireNonNull(privateFolder, "privateFolder");
    }

    /** Marks the server as draining (it then answers not ready) or not. */
    public void setDraining(boolean draining) {
        this.draining = draining;
    }

    /** True while the server drains. */
    public boolean draining() {
        return draining;
    }

    /**
     * Null if the server is ready; else one line saying why not: {@code "draining"}, or {@code "store not
     * writable: …"} with the file system's reason. May block for a probe write.
     */
    public String check() {
        if (draining) {
            return "draining";
        }
        Answer a = last;
        long now = System.nanoTime();
        if (a == null || now - a.atNanos() > TimeUnit.MILLISECONDS.toNanos(PROBE_TTL_MS)) {
            synchronized (this) {
                a = last;
                if (a == null || System.nanoTime() - a.atNanos() > TimeUnit.MILLISECONDS.toNanos(PROBE_TTL_MS)) {
                    a = new Answer(probe(), System.nanoTime());
                    last = a;
                }
            }
        }
        return draining ? "draining" : a.reason();
    }

    /** Writes, syncs and deletes the probe file; null if that worked, else why not. */
    private String probe() {
        Path file = privateFolder.resolve(PROBE_FILE);
        try {
            Files.createDirectories(privateFolder);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(new byte[] {'1'}));
                ch.force(false);
            }
            Files.delete(file);
            return null;
        } catch (IOException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
                why = fs.getFile() + ": " + fs.getReason();
            }
            return "store not writable: " + why.replace('\n', ' ');
        }
    }
}
