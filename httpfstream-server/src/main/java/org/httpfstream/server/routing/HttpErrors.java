package org.httpfstream.server.routing;

import static io.netty.handler.codec.http.HttpHeaderNames.CONNECTION;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_LENGTH;
import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.OutsideRootException;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.WriterConflictException;

/** Maps store failures to HTTP statuses, in one place, and writes plain-text error responses. */
public final class HttpErrors {
    private HttpErrors() {}

    /** The status for a failure of the store; null for an unexpected failure (a 500). */
    public static HttpResponseStatus statusFor(Throwable t, boolean append) {
        if (t instanceof WriterConflictException) {
            return HttpResponseStatus.FORBIDDEN;
        }
        if (t instanceof DurableStreamException d && d.reason() == DurableStreamException.Reason.GONE) {
            return HttpResponseStatus.GONE;
        }
        if (t instanceof StreamClosedException) {
            return HttpResponseStatus.CONFLICT;
        }
        if (t instanceof OutsideRootException) {
            return HttpResponseStatus.FORBIDDEN;
        }
        if (t instanceof InvalidStreamPathException || t instanceof InvalidOffsetException) {
            return HttpResponseStatus.BAD_REQUEST;
        }
        if (t instanceof NotAStreamException) {
            return append ? HttpResponseStatus.CONFLICT : HttpResponseStatus.NOT_FOUND;
        }
        if (t instanceof NoSuchFileException) {
            return HttpResponseStatus.NOT_FOUND;
        }
        if (t instanceof StreamTooLargeException) {
            return HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE;
        }
        if (t instanceof InsufficientStorageException || diskFull(t)) {
            return HttpResponseStatus.INSUFFICIENT_STORAGE;
        }
        return null;
    }

    /** True for a write that failed because the file system is full (metadata, a new folder). */
    private static boolean diskFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (c instanceof java.io.IOException && m != null
                    && (m.contains("No space left on device") || m.contains("Disk quota exceeded"))) {
                return true;
            }
        }
        return false;
    }

    /** The message sent for a failure of the store. */
    public static String messageFor(Throwable t) {
        if (t instanceof NoSuchFileException) {
            return "no such stream: " + ((NoSuchFileException) t).getFile();
        }
        if (!(t instanceof InsufficientStorageException) && diskFull(t)) {
            return "insufficient storage: no space left on device";
        }
        return t.getMessage();
    }

    /** Writes {@code status} with {@code message} (plus a newline) as a text/plain body. */
    public static void send(ChannelHandlerContext ctx, HttpResponseStatus status, String message,
            boolean keepAlive) {
        FullHttpResponse response = response(status, message);
        if (!keepAlive) {
            response.headers().set(CONNECTION, HttpHeaderValues.CLOSE);
        }
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    public static FullHttpResponse response(HttpResponseStatus status, String message) {
        ByteBuf body = Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8);
        FullHttpResponse response =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(CONTENT_TYPE, "text/plain; charset=utf-8")
                .set("X-Content-Type-Options", "nosniff")
                .setInt(CONTENT_LENGTH, body.readableBytes());
        return response;
    }
}
