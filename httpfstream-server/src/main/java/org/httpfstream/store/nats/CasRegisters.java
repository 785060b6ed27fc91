package org.httpfstream.store.nats;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;

/**
 * Compare-and-set registers, one per stream path, on a family of shard streams ({@code <prefix>_<s>},
 * subjects {@code <subjectPrefix>.<s>.<namespace>.<b64url(path)>}): a register's value is the last
 * message on its subject (none, or one marked {@value #REMOVED}: no value). A change is published with
 * {@code Nats-Expected-Last-Sequence} set to the shard's last sequence as read together with the
 * value, so that it is refused if anything in the shard changed meanwhile; the caller reads again.
 *
 * <p>Why not KV's update by revision: on nats-server 2.9.10 its check ({@code
 * Nats-Expected-Last-Subject-Sequence}) is only a pre-check on the stream leader, not part of the
 * replicated write (nats-server#4320), and two concurrent updates can both pass it; the stream-wide
 * expected sequence is checked against the leader's count of proposals, in-flight ones included.
 * Unrelated registers of one shard contend (a retry, never a wrong answer).
 *
 * <p>Thread safety: stateless apart from thread-safe NATS handles.
 */
final class CasRegisters {
    static final String REMOVED = "Hfs-Removed";
    /** JetStream's "system temporarily unavailable": a node that rejoined is catching up. Try again. */
    static final int UNAVAILABLE = 10008;

    private final JetStream js;
    private final JetStreamManagement jsm;
    private final NatsNames names;
    private final String streamPrefix;
    private final String subjectPrefix;

    CasRegisters(JetStream js, JetStreamManagement jsm, NatsNames names, String streamPrefix, String subjectPrefix) {
        this.js = js;
        this.jsm = jsm;
        this.names = names;
        this.streamPrefix = streamPrefix;
        this.subjectPrefix = subjectPrefix;
    }

    /**
     * A register's value read at once with its shard's last sequence.
     *
     * @param data the value, null if none
     * @param seq the sequence of the message holding it, 0 if none
     * @param last the shard's last sequence, for {@link #set}
     */
    record Value(byte[] data, long seq, long last) {}

    String stream(String path) {
        return streamPrefix + "_" + names.shard(path);
    }

    String subject(String path) {
        return subjectPrefix + "." + names.shard(path) + "." + names.namespaceToken(path);
    }

    /** The subjects of shard {@code s}, for its stream's configuration. */
    String shardSubjects(int s) {
        return subjectPrefix + "." + s + ".>";
    }

    /** Reads {@code path}'s register. */
    Value read(String path) throws IOException {
        String stream = stream(path);
        for (;;) {
            long last = lastSeq(stream, subjectPrefix + "." + names.shard(path) + ".>");
            MessageInfo m = lastMessage(stream, subject(path));
            if (m == null) {
                return new Value(null, 0, last);
            }
            if (m.getSeq() <= last) {
                boolean removed = m.getHeaders() != null && m.getHeaders().getFirst(REMOVED) != null;
                return new Value(removed ? null : m.getData(), m.getSeq(), last);
            }
            // changed between the two reads: again
        }
    }

    /**
     * {@code path}'s register's value, or null if none: one round trip, for a reader that will not
     * {@link #set} it (no shard sequence).
     */
    byte[] value(String path) throws IOException {
        MessageInfo m = lastMessage(stream(path), subject(path));
        return m == null || m.getHeaders() != null && m.getHeaders().getFirst(REMOVED) != null ? null : m.getData();
    }

    /**
     * Sets {@code path}'s register to {@code data} (null: removes the value) if its shard's last
     * sequence is still {@code last}; returns the new message's sequence, or 0 if the shard changed.
     */
    long set(String path, byte[] data, long last) throws IOException {
        Headers h = new Headers();
        if (data == null) {
            h.add(REMOVED, "1");
        }
        try {
            return js.publish(NatsMessage.builder().subject(subject(path)).headers(h)
                            .data(data == null ? new byte[0] : data).build(),
                    PublishOptions.builder().expectedStream(stream(path)).expectedLastSequence(last).build())
                    .getSeqno();
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == 10071) {
                return 0;
            }
            if (e.getApiErrorCode() == UNAVAILABLE) {
                pause();
                return 0; // read again, then try again
            }
            throw new IOException("changing " + subject(path) + ": " + e.getMessage(), e);
        }
    }

    /** Waits a little before trying again: JetStream gives no event when it is available again. */
    private static void pause() throws IOException {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("waiting for JetStream");
        }
    }

    /** The shard's last sequence: its last message's, or the stream's own once every message is gone. */
    private long lastSeq(String stream, String filter) throws IOException {
        MessageInfo m = lastMessage(stream, filter);
        if (m != null) {
            return m.getSeq();
        }
        try {
            return jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        } catch (JetStreamApiException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private MessageInfo lastMessage(String stream, String subject) throws IOException {
        return lastMessage(jsm, stream, subject);
    }

    /**
     * The last message on {@code subject} in {@code stream}, null if none. A read, so tried up to three
     * times when no answer comes: right after a stream was made or lost its leader, a request may go
     * unanswered until the election is over.
     */
    static MessageInfo lastMessage(JetStreamManagement jsm, String stream, String subject) throws IOException {
        for (int attempt = 1;; attempt++) {
            try {
                return jsm.getLastMessage(stream, subject);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() == 10037) {
                    return null; // no message
                }
                if (e.getApiErrorCode() != UNAVAILABLE || attempt == 3) {
                    throw new IOException(e.getMessage(), e);
                }
                pause();
            } catch (IOException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
