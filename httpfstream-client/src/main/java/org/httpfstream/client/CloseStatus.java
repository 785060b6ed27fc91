package org.httpfstream.client;

import java.net.ProtocolException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The status code and reason of a WebSocket Close frame. Immutable.
 *
 * @param code the status code, or {@link #NO_CODE} if the frame had an empty payload
 * @param reason the reason text, possibly empty
 */
record CloseStatus(int code, String reason) {

    static final int NO_CODE = -1;
    static final int NORMAL = 1000;
    static final int GOING_AWAY = 1001;
    static final int PROTOCOL_ERROR = 1002;

    /** Parses a Close frame payload. */
    static CloseStatus parse(byte[] payload) throws ProtocolException {
        if (payload.length == 0) {
            return new CloseStatus(NO_CODE, "");
        }
        if (payload.length == 1) {
            throw new ProtocolException("Close frame with a 1-byte payload");
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        String reason;
        try {
            reason = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(payload, 2, payload.length - 2))
                    .toString();
        } catch (CharacterCodingException e) {
            reason = new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
        }
        return new CloseStatus(code, reason);
    }

    /** Returns a Close frame payload carrying only {@code code}. */
    static byte[] payload(int code) {
        return new byte[] {(byte) (code >>> 8), (byte) code};
    }

    /**
     * Returns the payload to answer this Close with: the same code when it may be sent on the wire, an
     * empty payload when the peer sent none, and 1002 for codes that must never appear on the wire.
     */
    byte[] replyPayload() {
        if (code == NO_CODE) {
            return new byte[0];
        }
        boolean sendable = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
                || (code >= 3000 && code <= 4999);
        return payload(sendable ? code : PROTOCOL_ERROR);
    }

    /**
     * True for the codes that end a stream normally: none and 1000, and 1001 when {@code goingAwayIsNormal}
     * (a follower does not count 1001: the server going away is not the end of the stream).
     */
    boolean isNormal(boolean goingAwayIsNormal) {
        return code == NO_CODE || code == NORMAL || (goingAwayIsNormal && code == GOING_AWAY);
    }

    /** Describes the status for messages, e.g. {@code "code 1009 (message too big): too long"}. */
    String describe() {
        if (code == NO_CODE) {
            return "no status code";
        }
        String name = name(code);
        return "code " + code + (name == null ? "" : " (" + name + ")")
                + (reason.isEmpty() ? "" : ": " + HttpResponseHead.printable(reason, 200));
    }

    private static String name(int code) {
        switch (code) {
            case 1000: return "normal closure";
            case 1001: return "going away";
            case 1002: return "protocol error";
            case 1003: return "unsupported data";
            case 1007: return "invalid payload data";
            case 1008: return "policy violation";
            case 1009: return "message too big";
            case 1010: return "mandatory extension";
            case 1011: return "internal server error";
            case 1012: return "service restart";
            case 1013: return "try again later";
            default: return null;
        }
    }
}
