package org.httpfstream.store.nats;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.httpfstream.testing.NatsCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What the NATS store relies on, checked on the real server (Debian's 2.9.10): the cluster forms, an R3
 * stream takes acknowledged publishes, and {@code Nats-Expected-Last-Subject-Sequence} is checked against
 * the subject's own last sequence, not the stream's (the trap of nats-server#7361), so that fencing on a
 * shard stream shared by many paths works.
 */
class NatsServerBehaviourTest {
    @RegisterExtension
    static final NatsCluster nats = new NatsCluster();

    @Test
    void expectedLastSubjectSequenceIsCheckedPerSubjectOnAStreamSharedBySubjects() throws Exception {
        try (Connection c = nats.connect()) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name("PROBE").subjects("probe.>")
                    .storageType(StorageType.File).replicas(3).build());
            JetStream js = c.jetStream();
            PublishAck a1 = js.publish("probe.a", "a1".getBytes(UTF_8),
                    PublishOptions.builder().expectedLastSubjectSequence(0).build());
            PublishAck b1 = js.publish("probe.b", "b1".getBytes(UTF_8));
            // a's last is a1 although the stream's last is b1: accepted when checked per subject
            PublishAck a2 = js.publish("probe.a", "a2".getBytes(UTF_8),
                    PublishOptions.builder().expectedLastSubjectSequence(a1.getSeqno()).build());
            assertThat(a2.getSeqno()).isGreaterThan(b1.getSeqno());
            // a stale writer that expects a1 is refused (10071, wrong last sequence)
            assertThatThrownBy(() -> js.publish("probe.a", "stale".getBytes(UTF_8),
                    PublishOptions.builder().expectedLastSubjectSequence(a1.getSeqno()).build()))
                    .isInstanceOfSatisfying(JetStreamApiException.class,
                            e -> assertThat(e.getApiErrorCode()).isEqualTo(10071));
            // expecting 0 on a subject that has messages is refused too: a new path's first record is fenced
            assertThatThrownBy(() -> js.publish("probe.b", "again".getBytes(UTF_8),
                    PublishOptions.builder().expectedLastSubjectSequence(0).build()))
                    .isInstanceOf(JetStreamApiException.class);
            assertThat(jsm.getStreamInfo("PROBE").getConfiguration().getReplicas()).isEqualTo(3);
            assertThat(nats.startMillis()).isLessThan(30_000);
        }
    }
}
