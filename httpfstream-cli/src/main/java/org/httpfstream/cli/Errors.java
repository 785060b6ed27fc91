package org.httpfstream.cli;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.httpfstream.client.WriterConflictException;

/** Turns exceptions into the short, one-line causes the commands print. */
final class Errors {
    private static final Pattern CLIENT_CONTEXT = Pattern.compile("^(?:APPEND|FOLLOW) \\S+?(?: failed)?: ");

    /** The server's reason in a client's 404 message, e.g. {@code FOLLOW failed: 404 Not Found: REASON}. */
    private static final Pattern NOT_FOUND_REASON = Pattern.compile(" 404 Not Found: (.+)$");

    private Errors() {
    }

    /** A one-line, human-readable description of {@code t}, without the exception class when possible. */
    static String describe(Throwable t) {
        // The two failures the tools name specially may also arrive wrapped.
        for (Throwable c = t, prev = null; c != null && c != prev; prev = c, c = c.getCause()) {
            if (c instanceof WriterConflictException) {
                return "another appender is active";
            }
            if (c instanceof NoSuchFileException e) {
                return notFound(e);
            }
        }
        // The client names the operation and URI ("FOLLOW http://h/x: ..."); the commands' lines already do.
        return CLIENT_CONTEXT.matcher(oneLine(describe(t, 0))).replaceFirst("");
    }

    /**
     * "no such stream", or the server's own reason when the path is not a stream at all, e.g. {@code
     * /logs is a folder, not a stream} (a 404 too, with that body).
     */
    private static String notFound(NoSuchFileException e) {
        String reason = e.getReason();
        if (reason != null) {
            java.util.regex.Matcher m = NOT_FOUND_REASON.matcher(oneLine(reason));
            if (m.find() && !m.group(1).startsWith("no such stream")) {
                return m.group(1);
            }
        }
        return "no such stream";
    }

    /** Like {@link #describe(Throwable)}, for failures of local file operations (no stream vocabulary). */
    static String describeFile(Throwable t) {
        return describeFile(t, null);
    }

    /** Like {@link #describeFile(Throwable)}, leaving out the file name when it is {@code subject}. */
    static String describeFile(Throwable t, Path subject) {
        if (t instanceof FileSystemException e) {
            String reason = e.getReason();
            if (e instanceof NoSuchFileException) {
                reason = "no such file or directory";
            } else if (e instanceof AccessDeniedException) {
                reason = "permission denied";
            } else if (e instanceof FileAlreadyExistsException) {
                reason = "already exists";
            } else if (e instanceof NotDirectoryException) {
                reason = "not a directory";
            }
            String file = e.getFile();
            if (reason == null || reason.isBlank()) {
                reason = e.getClass().getSimpleName();
            }
            boolean named = file != null && (subject == null || !Path.of(file).equals(subject));
            return oneLine(named ? file + ": " + reason : reason);
        }
        return oneLine(describe(t, 0));
    }

    private static String describe(Throwable t, int depth) {
        String message = t.getMessage();
        boolean blank = message == null || message.isBlank();
        if (t instanceof UnknownHostException) {
            return blank ? "unknown host" : message.contains("unknown host") ? message : "unknown host " + message;
        }
        if (t instanceof HttpTimeoutException && blank) {
            return "timed out";
        }
        if (blank) {
            Throwable cause = t.getCause();
            if (cause != null && cause != t && depth < 8) {
                return describe(cause, depth + 1);
            }
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            return t.getClass().getSimpleName();
        }
        return message;
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
    }
}
