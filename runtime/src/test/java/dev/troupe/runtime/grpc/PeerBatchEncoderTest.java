package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.proto.peer.v1.PeerEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a peer link writes: texts by reference only to a peer that said it takes them, each once a batch. */
class PeerBatchEncoderTest {
  private static final String A = "{app:a|0x00001}";
  private static final String B = "{app:b|0x00002}";

  private static PeerBatchEncoder.Message message(String from, String to, String topic, String text) {
    return new PeerBatchEncoder.Message(to, from, topic, List.of(PayloadCodec.encode(text)));
  }

  @Test
  void untilThePeerSaysItTakesTablesEveryMessageCarriesItsTexts() {
    PeerBatchEncoder encoder = new PeerBatchEncoder();

    EnvelopeBatch batch = encoder.encode(List.of(message(A, B, "t", "1"), message(A, B, "t", "2"))).getBatch();

    assertThat(batch.getStringsList()).isEmpty();
    for (Envelope e : batch.getEnvelopesList()) {
      PeerDeliver d = e.getDeliver();
      assertThat(List.of(d.getFrom(), d.getTo(), d.getTopic())).containsExactly(A, B, "t");
      assertThat(List.of(d.getFromRef(), d.getToRef(), d.getTopicRef())).containsOnly(0);
    }
  }

  @Test
  void withTablesEachTextIsWrittenOnceABatchAndReferredToByNumber() {
    PeerBatchEncoder encoder = new PeerBatchEncoder();
    encoder.useTables();

    EnvelopeBatch batch = encoder.encode(List.of(
        message(A, B, "t", "1"), message(B, A, "t", "2"), message(A, B, "u", "3"))).getBatch();

    assertThat(batch.getStringsList()).containsExactly(B, A, "t", "u");
    PeerDeliver third = batch.getEnvelopes(2).getDeliver();
    assertThat(List.of(third.getToRef(), third.getFromRef(), third.getTopicRef())).containsExactly(1, 2, 4);
    assertThat(List.of(third.getTo(), third.getFrom(), third.getTopic())).containsOnly("");
    assertThat(PayloadCodec.decode(third.getPayloads(0))).isEqualTo("3");

    EnvelopeBatch next = encoder.encode(List.of(message(B, B, "v", "4"), message(B, B, "v", "5"))).getBatch();
    assertThat(next.getStringsList()).as("each batch has a table of its own").containsExactly(B, "v");
  }

  @Test
  void aLoneMessageAndBuiltEnvelopesGoAsTheyAre() {
    PeerBatchEncoder encoder = new PeerBatchEncoder();
    encoder.useTables();
    Envelope event = Envelope.newBuilder().setEvent(PeerEvent.newBuilder().setTo(A)).build();

    EnvelopeBatch lone = encoder.encode(List.of(message(A, B, "t", "1"))).getBatch();
    EnvelopeBatch mixed = encoder.encode(List.of(new PeerBatchEncoder.Built(event), message(A, B, "t", "2"))).getBatch();

    assertThat(lone.getStringsList()).isEmpty();
    assertThat(lone.getEnvelopes(0).getDeliver().getTo()).isEqualTo(B);
    assertThat(mixed.getEnvelopes(0)).isEqualTo(event);
    assertThat(mixed.getEnvelopes(1).getDeliver().getToRef()).isEqualTo(1);
  }
}
