package org.httpfstream.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls a reload (of the grant file, the TLS pair) on SIGHUP, where the platform has it (not on Windows). */
final class ReloadSignal {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadSignal.class);

    private ReloadSignal() {}

    /** Runs {@code reload} on every SIGHUP, on the JVM's signal thread. */
    @SuppressWarnings("removal") // sun.misc.Signal: the only way to catch SIGHUP in Java 17
    static void install(Runnable reload) {
        try {
            sun.misc.SignalHandler before = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                LOG.info("SIGHUP: reading the grant file and the TLS certificate and key again (those in use)");
                reload.run();
            });
            if (before == sun.misc.SignalHandler.SIG_IGN) {
                // The JVM leaves a shutdown signal that the process was started with ignored (nohup does
                // that to SIGHUP) as it is: the handler above is not installed, and a reload would be lost
                // without a word.
                LOG.warn("SIGHUP is ignored by this process (started under nohup?): it will not reload the grant "
                        + "file or the TLS pair; start it without nohup (a grant file is still read again when "
                        + "it changes)");
            }
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.debug("no SIGHUP here: {}", e.toString());
        }
    }
}
