package org.httpfstream.auth;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A grant file and the grants it held when last read well. {@link #reload()} reads it again (the
 * server calls it on SIGHUP, and a poller calls it when the file's contents change); a file with a bad
 * line is refused with the line's number in one log line, and the grants read before stay. Requests
 * that are being served keep the decision already taken: nothing is dropped by a reload.
 *
 * <p>Thread safety: safe for use by any thread. Guarded by this: {@code digest} (the contents last
 * looked at); {@code grants} is volatile, replaced whole.
 */
public final class TokenFile implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TokenFile.class);

    private final Path file;
    private volatile Grants grants;
    private byte[] digest; // Guarded by this.
    private ScheduledExecutorService poller; // Guarded by this.

    private TokenFile(Path file, Grants grants, byte[] digest) {
        this.file = file;
        this.grants = grants;
        this.digest = digest;
    }

    /**
     * Reads {@code file}.
     *
     * @throws IOException if it cannot be read
     * @throws GrantFileException at its first bad line
     */
    public static TokenFile open(Path file) throws IOException, GrantFileException {
        byte[] bytes = Files.readAllBytes(file);
        Grants g = Grants.parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
        LOG.info("tokens: {} grant{} from {}", g.size(), g.size() == 1 ? "" : "s", file);
        return new TokenFile(file, g, Tokens.sha256(bytes));
    }

    /** The grants in force. */
    public Grants grants() {
        return grants;
    }

    /** The grant file. */
    public Path file() {
        return file;
    }

    /**
     * Reads the file again if its contents changed; the new grants replace the old only if every line is
     * good. Logs one line either way (nothing when unchanged).
     *
     * @return true if new grants are in force
     */
    public synchronized boolean reload() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            LOG.warn("tokens: cannot read {} ({}); keeping the {} grants read before", file, e, grants.size());
            return false;
        }
        byte[] d = Tokens.sha256(bytes);
        if (Tokens.same(d, digest)) {
            return false;
        }
        digest = d;
        try {
            Grants g = Grants.parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
            grants = g;
            LOG.info("tokens: reloaded {} grant{} from {}", g.size(), g.size() == 1 ? "" : "s", file);
            return true;
        } catch (GrantFileException e) {
            LOG.warn("tokens: refused {}; keeping the {} grants read before", e.getMessage(), grants.size());
            return false;
        }
    }

    /** Starts looking at the file every {@code interval} (a daemon thread), reloading it when it changed. */
    public synchronized void poll(Duration interval) {
        if (poller != null || interval.isZero()) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "httpfstream-tokens");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(1, interval.toMillis());
        poller.scheduleWithFixedDelay(this::reload, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }
}
