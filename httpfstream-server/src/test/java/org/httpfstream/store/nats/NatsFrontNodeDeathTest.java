package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.nats.client.Connection;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.httpfstream.store.Follower;
import org.httpfstream.store.SessionLease;
import org.httpfstream.store.StoreLimits;
import org.httpfstream.store.StoredStream;
import org.httpfstream.store.WriterConflictException;
import org.httpfstream.testing.Await;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A front node that dies while it holds an append session frees the stream's lease within a bounded
 * time (the lease TTL, here 1 s, plus the server's expiry tick), and the other nodes' followers of that
 * session end. Its own cluster: the lease streams' {@code max_age} is the TTL.
 */
class NatsFrontNodeDeathTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();
    static final NatsConfig SHORT_LEASES = new NatsConfig("death", 2, 3, Duration.ofSeconds(1), 256 * 1024);

    @Test
    void aDeadFrontNodesSessionFreesItsLeaseWithinTheTtlAndItsFollowersElsewhereEnd() throws Exception {
        Connection ca = nats.connect(0);
        NatsStorage a = new NatsStorage(ca, false, SHORT_LEASES, StoreLimits.NONE);
        try (NatsStorage b = new NatsStorage(nats.connect(1), true, SHORT_LEASES, StoreLimits.NONE)) {
            SessionLease session = a.stream("/dies.log").startSession();
            session.append(ByteBuffer.wrap("kept".getBytes(UTF_8)));
            StoredStream onB = b.stream("/dies.log");
            Await.until("B sees A's session with its bytes",
                    () -> onB.session().isPresent() && onB.session().get().length() == 4);
            Follower f = onB.session().get().follow(0, () -> { });
            ca.close(); // front node A dies: no more renewals, no release
            long died = System.nanoTime();
            SessionLease[] next = new SessionLease[1];
            Await.until("B may start a session", () -> {
                try {
                    next[0] = onB.startSession();
                    return true;
                } catch (WriterConflictException e) {
                    return false;
                }
            });
            long freedMillis = (System.nanoTime() - died) / 1_000_000;
            assertThat(freedMillis).as("lease freed after %d ms", freedMillis).isLessThan(5_000);
            Await.until("B's follower of A's session ends", f::ended);
            assertThat(f.length()).isEqualTo(4);
            f.close();
            next[0].append(ByteBuffer.wrap("+b".getBytes(UTF_8)));
            next[0].end().join();
            assertThat(onB.committedLength()).isEqualTo(6);
        } finally {
            a.close();
        }
    }
}
