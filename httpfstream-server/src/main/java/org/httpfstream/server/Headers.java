package org.httpfstream.server;

/**
 * The names of the request headers, query parameters and response headers of both protocols, in one
 * place: the router, the plain HTTP and WebSocket followers, the Durable Streams handler, the failure
 * map and the guards read them from here rather than from one another.
 *
 * <p>Thread safety: constants only.
 */
public final class Headers {
    private Headers() {}

    /** Request header naming the verb of the original protocol ({@code APPEND}, {@code FOLLOW}). */
    public static final String VERB_HEADER = "X-Verb";
    /** Query parameter naming the verb when the header is absent. */
    public static final String VERB_PARAM = "verb";
    /** Query parameter / header a follower uses to ask for BINARY messages: {@code frames=binary}. */
    public static final String FRAMES_PARAM = "frames";
    /** Request header: as {@link #FRAMES_PARAM}. */
    public static final String FRAMES_HEADER = "X-Frames";
    /** Query parameter: the offset to start reading at (see {@link org.httpfstream.store.Offsets}). */
    public static final String OFFSET_PARAM = "offset";
    /** Query parameter that makes a plain GET a live, chunked read until the append session ends. */
    public static final String FOLLOW_PARAM = "follow";
    /** Response header: the offset of the first byte of the body / of the first message. */
    public static final String STREAM_OFFSET = "Stream-Offset";
    /** Response header (or trailer): the offset after the last byte of the body. */
    public static final String NEXT_OFFSET = "Stream-Next-Offset";
    /**
     * Request header of a Durable Streams {@code POST} and of a WebSocket {@code APPEND}: the append is
     * made only if the stream's length is exactly this offset (a token of {@link
     * org.httpfstream.store.Offsets}, {@code -1} for an empty stream); else 409 with the current length in
     * {@link #NEXT_OFFSET}. The check and the append are one step under the stream's lease.
     */
    public static final String EXPECTED_OFFSET = "Stream-Expected-Offset";
    /**
     * Request header of a WebSocket {@code APPEND}: {@code true} asks the server to report committed
     * offsets to the appender: the 101 carries {@link #NEXT_OFFSET} (where the session's first byte
     * goes) and the server sends TEXT messages, each a committed length as an offset token. The original
     * clients never send it, and get nothing of this.
     */
    public static final String APPEND_ACKS = "Stream-Append-Acks";
    /** Response header: {@code true} while an append session is active on the stream. */
    public static final String WRITER_ACTIVE = "Stream-Writer-Active";

    /** Durable Streams: {@code true} once the stream is closed (request: close it). */
    public static final String STREAM_CLOSED = "Stream-Closed";
    /** Durable Streams: {@code true} when a read reached the tail. */
    public static final String STREAM_UP_TO_DATE = "Stream-Up-To-Date";
    /** Durable Streams: the cache-busting cursor token of live reads ({@code org.httpfstream.server.durable.StreamCursors}). */
    public static final String STREAM_CURSOR = "Stream-Cursor";
    /** Durable Streams: a new stream's time to live, in seconds. */
    public static final String STREAM_TTL = "Stream-TTL";
    /** Durable Streams: a new stream's expiry time (RFC 3339). */
    public static final String STREAM_EXPIRES_AT = "Stream-Expires-At";
    /** Durable Streams: the writer's sequence token of an append. */
    public static final String STREAM_SEQ = "Stream-Seq";
    /** Durable Streams: an idempotent producer's id. */
    public static final String PRODUCER_ID = "Producer-Id";
    /** Durable Streams: an idempotent producer's epoch. */
    public static final String PRODUCER_EPOCH = "Producer-Epoch";
    /** Durable Streams: an idempotent producer's sequence number. */
    public static final String PRODUCER_SEQ = "Producer-Seq";
    /** Durable Streams refusal: the sequence number the stream expected. */
    public static final String PRODUCER_EXPECTED_SEQ = "Producer-Expected-Seq";
    /** Durable Streams refusal: the sequence number received. */
    public static final String PRODUCER_RECEIVED_SEQ = "Producer-Received-Seq";
    /** Durable Streams: how SSE {@code data} lines encode the bytes ({@code base64}). */
    public static final String SSE_ENCODING = "Stream-SSE-Data-Encoding";
    /** Durable Streams: the source of a fork. */
    public static final String FORKED_FROM = "Stream-Forked-From";
    /** Durable Streams: the offset in the source a fork starts after. */
    public static final String FORK_OFFSET = "Stream-Fork-Offset";
    /** Durable Streams: the message within the offset a JSON fork starts after. */
    public static final String FORK_SUB_OFFSET = "Stream-Fork-Sub-Offset";

    /** Viewer ({@code ?lines}, {@code ?tail}): the first line of the body. */
    public static final String LINE_FIRST = "Line-First";
    /** Viewer: the last line of the body. */
    public static final String LINE_LAST = "Line-Last";
    /** Viewer: lines in the stream, an unterminated last line counted. */
    public static final String LINE_COUNT = "Line-Count";
    /** Viewer: the byte offset of the first line. */
    public static final String LINE_OFFSET = "Line-Offset";
    /** Viewer: the byte offset after the body's last byte. */
    public static final String LINE_END_OFFSET = "Line-End-Offset";
    /** Viewer: the sections open at the first line, a JSON array. */
    public static final String LINE_SECTIONS = "Line-Sections";
}
