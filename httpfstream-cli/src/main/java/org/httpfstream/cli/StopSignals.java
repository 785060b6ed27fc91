package org.httpfstream.cli;

import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches SIGTERM and SIGINT, where the platform lets a program catch them, in place of the JVM's own
 * handling (which would run the shutdown hooks and exit with 143 or 130): the server drains and the
 * command then returns 0. Thread safety: {@link #install} may be called from any thread; the handler
 * runs on the JVM's signal thread.
 */
final class StopSignals {
    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);

    private StopSignals() {}

    /**
     * Calls {@code handler} with the signal's name ({@code "SIGTERM"}, {@code "SIGINT"}) on each of these
     * signals; it must not block.
     *
     * @return true if SIGTERM is caught; false if the JVM's own handling stays (then only the shutdown
     *     hooks stop the server)
     */
    @SuppressWarnings("removal") // sun.misc.Signal: the only way to catch a signal in Java 17
    static boolean install(Consumer<String> handler) {
        boolean term = false;
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> handler.accept("SIG" + name));
                term |= name.equals("TERM");
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.debug("SIG{} stays with the JVM: {}", name, e.toString());
            }
        }
        return term;
    }
}
