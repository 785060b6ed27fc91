package org.httpfstream.client;

/**
 * The RFC 6455 frame opcodes, with their 4-bit values on the wire. The three control opcodes (Close, Ping,
 * Pong) have the high bit of the value set.
 *
 * <p>Thread safety: immutable.
 */
enum Opcode {
    CONTINUATION(0x0), TEXT(0x1), BINARY(0x2), CLOSE(0x8), PING(0x9), PONG(0xA);

    /** The opcode of each 4-bit value, null where RFC 6455 defines none. */
    private static final Opcode[] BY_VALUE = new Opcode[16];

    static {
        for (Opcode o : values()) {
            BY_VALUE[o.value] = o;
        }
    }

    /** The value in a frame's first byte (its low 4 bits). */
    final int value;

    Opcode(int value) {
        this.value = value;
    }

    /** The opcode whose value is the low 4 bits of {@code bits}, or null if RFC 6455 defines none. */
    static Opcode of(int bits) {
        return BY_VALUE[bits & 0xF];
    }

    /** True for Close, Ping and Pong. */
    boolean isControl() {
        return (value & 0x8) != 0;
    }
}
