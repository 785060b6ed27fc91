package org.httpfstream.server.durable;

import static io.netty.handler.codec.http.HttpHeaderNames.CONTENT_TYPE;
import static org.httpfstream.server.Headers.EXPECTED_OFFSET;
import static org.httpfstream.server.Headers.FORKED_FROM;
import static org.httpfstream.server.Headers.FORK_OFFSET;
import static org.httpfstream.server.Headers.FORK_SUB_OFFSET;
import static org.httpfstream.server.Headers.PRODUCER_EPOCH;
import static org.httpfstream.server.Headers.PRODUCER_ID;
import static org.httpfstream.server.Headers.PRODUCER_SEQ;
import static org.httpfstream.server.Headers.STREAM_CLOSED;
import static org.httpfstream.server.Headers.STREAM_EXPIRES_AT;
import static org.httpfstream.server.Headers.STREAM_SEQ;
import static org.httpfstream.server.Headers.STREAM_TTL;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.regex.Pattern;
import org.httpfstream.durable.DurableStreams;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.Offsets;

/**
 * Reads the Durable Streams requests of their headers into the domain's request records ({@link
 * DurableStreams.CreateRequest}, {@link DurableStreams.AppendRequest}); a malformed header is a {@link
 * BadRequest}, answered with 400 and its message.
 *
 * <p>Thread safety: stateless.
 */
final class DurableRequests {
    private static final Pattern DECIMAL = Pattern.compile("0|[1-9][0-9]*");
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private DurableRequests() {}

    /** The create request of a {@code PUT}. */
    static DurableStreams.CreateRequest create(FullHttpRequest request) throws BadRequest {
        HttpHeaders h = request.headers();
        String ttl = h.get(STREAM_TTL);
        String expires = h.get(STREAM_EXPIRES_AT);
        if (ttl != null && expires != null) {
            throw new BadRequest("Stream-TTL and Stream-Expires-At cannot both be given");
        }
        Long ttlSeconds = null;
        if (ttl != null) {
            if (!DECIMAL.matcher(ttl.trim()).matches() || ttl.trim().length() > 15) {
                throw new BadRequest("Stream-TTL must be a non-negative integer of seconds: " + ttl);
            }
            ttlSeconds = Long.parseLong(ttl.trim());
        }
        Instant expiresAt = null;
        if (expires != null) {
            try {
                expiresAt = OffsetDateTime.parse(expires.trim()).toInstant();
            } catch (DateTimeParseException e) {
                throw new BadRequest("Stream-Expires-At must be an RFC 3339 timestamp: " + expires);
            }
        }
        return new DurableStreams.CreateRequest(h.get(CONTENT_TYPE), ttlSeconds,
                expires == null ? null : expires.trim(), expiresAt, isTrue(h.get(STREAM_CLOSED)),
                ByteBufUtil.getBytes(request.content()), fork(h));
    }

    /** The fork headers of a create, or null if it is not a fork. */
    private static DurableStreams.ForkRequest fork(HttpHeaders h) throws BadRequest {
        String from = h.get(FORKED_FROM);
        String offset = h.get(FORK_OFFSET);
        String sub = h.get(FORK_SUB_OFFSET);
        if (from == null) {
            if (offset != null || sub != null) {
                throw new BadRequest(FORK_OFFSET + " and " + FORK_SUB_OFFSET + " need " + FORKED_FROM);
            }
            return null;
        }
        long subOffset = 0;
        if (sub != null) {
            if (!DECIMAL.matcher(sub.trim()).matches() || sub.trim().length() > 18) {
                throw new BadRequest(FORK_SUB_OFFSET + " must be a non-negative integer: " + sub);
            }
            subOffset = Long.parseLong(sub.trim());
            if (subOffset > 0 && offset == null) {
                throw new BadRequest(FORK_SUB_OFFSET + " needs " + FORK_OFFSET);
            }
        }
        String source = from.trim();
        if (source.startsWith("http://") || source.startsWith("https://")) {
            source = java.net.URI.create(source).getRawPath();
        }
        source = QueryStringDecoder.decodeComponent(source);
        if (!source.startsWith("/")) {
            throw new BadRequest(FORKED_FROM + " must be a path: " + from);
        }
        return new DurableStreams.ForkRequest(source, offset == null ? null : offset.trim(), subOffset);
    }

    /** The append request of a {@code POST}. */
    static DurableStreams.AppendRequest append(FullHttpRequest request) throws BadRequest {
        HttpHeaders h = request.headers();
        String id = h.get(PRODUCER_ID);
        String epoch = h.get(PRODUCER_EPOCH);
        String seq = h.get(PRODUCER_SEQ);
        DurableStreams.ProducerRequest producer = null;
        if (id != null || epoch != null || seq != null) {
            if (id == null || epoch == null || seq == null) {
                throw new BadRequest("Producer-Id, Producer-Epoch and Producer-Seq go together");
            }
            if (id.isEmpty()) {
                throw new BadRequest("Producer-Id must not be empty");
            }
            producer = new DurableStreams.ProducerRequest(id, safeInteger(epoch, PRODUCER_EPOCH),
                    safeInteger(seq, PRODUCER_SEQ));
        }
        boolean close = isTrue(h.get(STREAM_CLOSED));
        return new DurableStreams.AppendRequest(h.get(CONTENT_TYPE), h.get(STREAM_SEQ), producer, close,
                ByteBufUtil.getBytes(request.content()), expectedOffset(h.get(EXPECTED_OFFSET)));
    }

    /**
     * The length a compare-and-append expects ({@code Stream-Expected-Offset}): an offset token, {@code -1}
     * for an empty stream; -1 if {@code value} is null (no such header).
     */
    static long expectedOffset(String value) throws BadRequest {
        if (value == null) {
            return -1;
        }
        try {
            return Offsets.expected(value);
        } catch (InvalidOffsetException e) {
            throw new BadRequest(EXPECTED_OFFSET + ": " + e.getMessage());
        }
    }

    /** The {@code offset} parameter of a read (null if absent), checked to be given at most once. */
    static String offset(QueryStringDecoder query) throws BadRequest {
        List<String> offsets = query.parameters().get(org.httpfstream.server.Headers.OFFSET_PARAM);
        if (offsets != null && offsets.size() > 1) {
            throw new BadRequest("offset given more than once");
        }
        return offsets == null ? null : offsets.get(0);
    }

    static boolean isTrue(String value) {
        return value != null && value.trim().equalsIgnoreCase("true");
    }

    /**
     * Parses a producer number: a decimal integer from 0 to 2^53-1 (JavaScript's largest safe integer,
     * which the protocol's clients can count to), without sign or leading zeros.
     */
    private static long safeInteger(String value, String name) throws BadRequest {
        String v = value.trim();
        if (!DECIMAL.matcher(v).matches()) {
            throw new BadRequest(name + " must be a non-negative decimal integer: " + value);
        }
        // 17 digits or more is past 2^53-1 (16 digits) whatever they are, and may not fit a long.
        if (v.length() > 16 || Long.parseLong(v) > MAX_SAFE_INTEGER) {
            throw new BadRequest(name + " must be at most 2^53-1 (" + MAX_SAFE_INTEGER + "): " + value);
        }
        return Long.parseLong(v);
    }

    static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A malformed request: answered with 400 and the message. */
    static final class BadRequest extends IOException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }
}
