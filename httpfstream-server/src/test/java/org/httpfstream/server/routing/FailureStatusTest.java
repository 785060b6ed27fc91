package org.httpfstream.server.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.EnumSet;
import java.util.stream.Stream;
import org.httpfstream.durable.DurableStreamException;
import org.httpfstream.durable.DurableStreamException.Reason;
import org.httpfstream.server.routing.FailureStatus.Operation;
import org.httpfstream.server.ws.CloseCodes;
import org.httpfstream.store.InsufficientStorageException;
import org.httpfstream.store.InvalidOffsetException;
import org.httpfstream.store.InvalidStreamPathException;
import org.httpfstream.store.NotAStreamException;
import org.httpfstream.store.OutsideRootException;
import org.httpfstream.store.StreamClosedException;
import org.httpfstream.store.StreamTooLargeException;
import org.httpfstream.store.WriterConflictException;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Each failure type maps to its one HTTP status and its one WebSocket close code. */
class FailureStatusTest {

    static Stream<Arguments> failures() {
        IOException diskFull = new IOException("write failed", new IOException("No space left on device"));
        return Stream.of(
                Arguments.of(new WriterConflictException(), Operation.READ, 403),
                Arguments.of(new WriterConflictException(), Operation.APPEND, 403),
                Arguments.of(new WriterConflictException("a WebSocket appender is active on /a"), Operation.DURABLE, 409),
                Arguments.of(new StreamClosedException(), Operation.APPEND, 409),
                Arguments.of(new OutsideRootException("/../x"), Operation.READ, 403),
                Arguments.of(new InvalidStreamPathException("bad"), Operation.APPEND, 400),
                Arguments.of(new InvalidOffsetException("bad"), Operation.READ, 400),
                Arguments.of(new NotAStreamException("a folder"), Operation.READ, 404),
                Arguments.of(new NotAStreamException("a folder"), Operation.APPEND, 409),
                Arguments.of(new NotAStreamException("a folder"), Operation.DURABLE, 409),
                Arguments.of(new NoSuchFileException("/a"), Operation.READ, 404),
                Arguments.of(new NoSuchFileException("/a"), Operation.DURABLE, 404),
                Arguments.of(new StreamTooLargeException(10, 5, 12), Operation.DURABLE, 413),
                Arguments.of(new InsufficientStorageException("an append", new IOException("quota")),
                        Operation.APPEND, 507),
                Arguments.of(diskFull, Operation.DURABLE, 507));
    }

    @ParameterizedTest(name = "{0} in {1} is {2}")
    @MethodSource("failures")
    void eachStoreFailureMapsToOneStatus(IOException failure, Operation operation, int status) {
        assertThat(FailureStatus.of(failure, operation).code()).isEqualTo(status);
    }

    @Test
    void anUnexpectedFailureHasNoStatusAndIsAnsweredAs500() {
        for (Operation operation : Operation.values()) {
            assertThat(FailureStatus.of(new IOException("Input/output error"), operation)).isNull();
            assertThat(FailureStatus.of(new IllegalStateException("bug"), operation)).isNull();
        }
    }

    @Nested
    class DurableStreamsRefusals {
        @ParameterizedTest
        @EnumSource(Reason.class)
        void eachReasonMapsToOneStatusWhateverTheOperation(Reason reason) {
            HttpResponseStatus expected = switch (reason) {
                case BAD_REQUEST -> HttpResponseStatus.BAD_REQUEST;
                case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
                case STALE_EPOCH -> HttpResponseStatus.FORBIDDEN;
                case GONE -> HttpResponseStatus.GONE;
                case CONFLICT, CLOSED, SEQUENCE_GAP, OFFSET_MISMATCH -> HttpResponseStatus.CONFLICT;
            };
            for (Operation operation : Operation.values()) {
                assertThat(FailureStatus.of(new DurableStreamException(reason, "refused"), operation))
                        .isEqualTo(expected);
            }
        }

        @Test
        void noReasonRepeatsAStoreExceptionType() {
            // The single-writer rule is the store's WriterConflictException, not a reason of its own.
            assertThat(EnumSet.allOf(Reason.class)).extracting(Enum::name).doesNotContain("WRITER_ACTIVE");
        }
    }

    @Nested
    class Messages {
        @Test
        void aMissingStreamNamesThePath() {
            assertThat(FailureStatus.message(new NoSuchFileException("/a/b.txt"))).isEqualTo("no such stream: /a/b.txt");
        }

        @Test
        void aFullDiskSaysSoInOneLine() {
            IOException e = new IOException("metadata", new IOException("Disk quota exceeded"));
            assertThat(FailureStatus.message(e)).isEqualTo("insufficient storage: no space left on device");
        }

        @Test
        void anyOtherFailureKeepsItsMessage() {
            assertThat(FailureStatus.message(new WriterConflictException())).isEqualTo(WriterConflictException.MESSAGE);
        }
    }

    @Nested
    class WebSocketCloseCodes {
        @Test
        void aStreamPastItsSizeLimitCloses1009() {
            assertThat(CloseCodes.forFailure(new StreamTooLargeException(10, 5, 12)))
                    .isEqualTo(WebSocketCloseStatus.MESSAGE_TOO_BIG);
        }

        @Test
        void aBrokenFrameRuleClosesWithThatRulesStatus() {
            assertThat(CloseCodes.forFailure(new CorruptedWebSocketFrameException(
                    WebSocketCloseStatus.INVALID_PAYLOAD_DATA, "bad UTF-8")))
                    .isEqualTo(WebSocketCloseStatus.INVALID_PAYLOAD_DATA);
            assertThat(CloseCodes.forFailure(new CorruptedWebSocketFrameException(null, "no status")))
                    .isEqualTo(WebSocketCloseStatus.PROTOCOL_ERROR);
        }

        @Test
        void aFullDiskOrAFailedWriteOrSyncCloses1011() {
            assertThat(CloseCodes.forFailure(new InsufficientStorageException("an append",
                    new IOException("No space left on device")))).isEqualTo(WebSocketCloseStatus.INTERNAL_SERVER_ERROR);
            assertThat(CloseCodes.forFailure(new IOException("Input/output error")))
                    .isEqualTo(WebSocketCloseStatus.INTERNAL_SERVER_ERROR);
            assertThat(CloseCodes.forFailure(null)).isEqualTo(WebSocketCloseStatus.INTERNAL_SERVER_ERROR);
        }
    }
}
