package dev.troupe.runtime.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.troupe.client.wire.PayloadCodec;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.proto.peer.v1.PeerEvent;
import dev.troupe.proto.peer.v1.PeerMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What a peer link writes: bytes that the generated parser reads as the batch the builders would
 * make, with texts by reference only to a peer that said it takes them, each once a batch.
 */
class PeerBatchEncoderTest {
  private static final String A = "{app:a|0x00001}";
  private static final String B = "{app:b|0x00002}";

  private static PeerBatchEncoder.Message message(String from, String to, String topic, String text) {
    return new PeerBatchEncoder.Message(to, from, topic, List.of(PayloadCodec.encode(text)));
  }

  private static EnvelopeBatch parse(byte[] bytes) throws InvalidProtocolBufferException {
    ConnectRequest frame = ConnectRequest.parseFrom(bytes);
    assertThat(frame.getFrameCase()).isEqualTo(ConnectRequest.FrameCase.BATCH);
    return frame.getBatch();
  }

  @Test
  void untilThePeerSaysItTakesTablesEveryMessageCarriesItsTexts() throws Exception {
    PeerBatchEncoder encoder = new PeerBatchEncoder();

    EnvelopeBatch batch = parse(encoder.encode(List.of(message(A, B, "t", "1"), message(A, B, "t", "2"))));

    assertThat(batch.getStringsList()).isEmpty();
    for (Envelope e : batch.getEnvelopesList()) {
      PeerDeliver d = e.getDeliver();
      assertThat(List.of(d.getFrom(), d.getTo(), d.getTopic())).containsExactly(A, B, "t");
      assertThat(List.of(d.getFromRef(), d.getToRef(), d.getTopicRef())).containsOnly(0);
    }
    assertThat(batch.getEnvelopesList()).extracting(e -> PayloadCodec.decode(e.getDeliver().getPayloads(0)))
        .containsExactly("1", "2");
  }

  @Test
  void withTablesEachTextIsWrittenOnceABatchAndReferredToByNumber() throws Exception {
    PeerBatchEncoder encoder = new PeerBatchEncoder();
    encoder.useTables();

    EnvelopeBatch batch = parse(encoder.encode(List.of(
        message(A, B, "t", "1"), message(B, A, "t", "2"), message(A, B, "u", "3"))));

    assertThat(batch.getStringsList()).containsExactly(B, A, "t", "u");
    PeerDeliver third = batch.getEnvelopes(2).getDeliver();
    assertThat(List.of(third.getToRef(), third.getFromRef(), third.getTopicRef())).containsExactly(1, 2, 4);
    assertThat(List.of(third.getTo(), third.getFrom(), third.getTopic())).containsOnly("");
    assertThat(PayloadCodec.decode(third.getPayloads(0))).isEqualTo("3");

    EnvelopeBatch next = parse(encoder.encode(List.of(message(B, B, "v", "4"), message(B, B, "v", "5"))));
    assertThat(next.getStringsList()).as("each batch has a table of its own").containsExactly(B, "v");
  }

  @Test
  void aLoneMessageAndBuiltEnvelopesGoAsTheyAre() throws Exception {
    PeerBatchEncoder encoder = new PeerBatchEncoder();
    encoder.useTables();
    Envelope event = Envelope.newBuilder().setEvent(PeerEvent.newBuilder().setTo(A)).build();

    EnvelopeBatch lone = parse(encoder.encode(List.of(message(A, B, "t", "1"))));
    EnvelopeBatch mixed = parse(encoder.encode(List.of(new PeerBatchEncoder.Built(event), message(A, B, "t", "2"))));

    assertThat(lone.getStringsList()).isEmpty();
    assertThat(lone.getEnvelopes(0).getDeliver().getTo()).isEqualTo(B);
    assertThat(mixed.getEnvelopes(0)).isEqualTo(event);
    assertThat(mixed.getEnvelopes(1).getDeliver().getToRef()).isEqualTo(1);
  }

  /**
   * The bytes are the batch the generated builders make, for any mix: texts of every width of UTF-8
   * (which the sizes must count in bytes, not chars), empty texts, no payload or several, payloads of
   * every size class of a length prefix, control envelopes between messages, batches larger than the
   * encoder's first arrays.
   */
  @Test
  void theBytesParseToTheBatchTheBuildersMakeForAnyMix() throws Exception {
    Random random = new Random(13);
    String[] texts = {"", "t", A, B, "héllo", "名前", "emoji \uD83D\uDE00", "x".repeat(200)};
    for (int round = 0; round < 300; round++) {
      boolean tables = round % 2 == 1;
      PeerBatchEncoder encoder = new PeerBatchEncoder();
      if (tables) {
        encoder.useTables();
      }
      List<PeerBatchEncoder.Item> items = new ArrayList<>();
      int n = 1 + random.nextInt(round < 280 ? 8 : 300);
      for (int i = 0; i < n; i++) {
        if (random.nextInt(5) == 0) {
          items.add(new PeerBatchEncoder.Built(Envelope.newBuilder().setMonitor(PeerMonitor.newBuilder()
              .setRequestId(random.nextLong()).setWatcher(pick(random, texts)).setTarget(pick(random, texts))).build()));
        } else {
          List<Payload> payloads = new ArrayList<>();
          for (int p = random.nextInt(4); p > 0; p--) {
            payloads.add(random.nextBoolean() ? PayloadCodec.encode(Map.of("k", pick(random, texts), "n", random.nextInt()))
                : Payload.newBuilder().setRaw(ByteString.copyFrom(new byte[random.nextInt(20_000)])).build());
          }
          items.add(new PeerBatchEncoder.Message(pick(random, texts), pick(random, texts), pick(random, texts), payloads));
        }
      }

      EnvelopeBatch batch = parse(encoder.encode(items));

      assertThat(resolved(batch)).as("round %d (tables %s, %d items)", round, tables, n).isEqualTo(built(items));
      assertThat(batch.getStringsCount() > 0).isEqualTo(tables && n > 1
          && items.stream().anyMatch(i -> i instanceof PeerBatchEncoder.Message));
    }
  }

  private static String pick(Random random, String[] texts) {
    return texts[random.nextInt(texts.length)];
  }

  /** The batch as the builders make it, every text written in full. */
  private static List<Envelope> built(List<PeerBatchEncoder.Item> items) {
    List<Envelope> out = new ArrayList<>();
    for (PeerBatchEncoder.Item item : items) {
      out.add(switch (item) {
        case PeerBatchEncoder.Built b -> b.envelope();
        case PeerBatchEncoder.Message m -> Envelope.newBuilder().setDeliver(PeerDeliver.newBuilder()
            .setTo(m.to()).setFrom(m.from()).setTopic(m.topic()).addAllPayloads(m.payloads())).build();
      });
    }
    return out;
  }

  /** The envelopes with their references replaced by the texts, as the receiving node reads them. */
  private static List<Envelope> resolved(EnvelopeBatch batch) {
    List<Envelope> out = new ArrayList<>();
    for (Envelope e : batch.getEnvelopesList()) {
      if (!e.hasDeliver() || batch.getStringsCount() == 0) {
        out.add(e);
        continue;
      }
      PeerDeliver d = e.getDeliver();
      out.add(Envelope.newBuilder().setDeliver(d.toBuilder()
          .setTo(batch.getStrings(d.getToRef() - 1)).setFrom(batch.getStrings(d.getFromRef() - 1))
          .setTopic(batch.getStrings(d.getTopicRef() - 1)).setToRef(0).setFromRef(0).setTopicRef(0)).build());
    }
    return out;
  }
}
