package org.httpfstream.server.routing;

import org.httpfstream.server.guard.ConnectionLimiter;
import org.httpfstream.server.guard.RequestTimer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Whole HTTP/1.1 error responses as bytes, for the handlers that answer below the HTTP codec: before it
 * is in the pipeline ({@link ConnectionLimiter}) or while it holds half a request head ({@link
 * RequestTimer}). Each closes the connection and carries one line of text, as {@link HttpErrors}'
 * responses do. Thread safety: stateless.
 */
public final class RawResponse {
    private RawResponse() {}

    /**
     * {@code status} (such as {@code "503 Service Unavailable"}) with {@code line} and a newline as its
     * body, {@code Connection: close}, and {@code Retry-After} if {@code retryAfterSeconds > 0}.
     */
    public static ByteBuf closing(String status, String line, int retryAfterSeconds) {
        byte[] body = (line + "\n").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + (retryAfterSeconds > 0 ? "Retry-After: " + retryAfterSeconds + "\r\n" : "")
                + "Content-Length: " + body.length + "\r\n"
                + "Connection: close\r\n\r\n";
        return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
    }
}
