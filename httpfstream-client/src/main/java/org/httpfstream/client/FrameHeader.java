package org.httpfstream.client;

/**
 * The header of one RFC 6455 frame. Immutable (the mask array is never modified).
 *
 * @param fin true if this is the last frame of its message
 * @param opcode the frame's opcode
 * @param length the payload length in bytes
 * @param mask the 4-byte masking key, or null if the payload is not masked
 */
record FrameHeader(boolean fin, Opcode opcode, long length, byte[] mask) {
}
