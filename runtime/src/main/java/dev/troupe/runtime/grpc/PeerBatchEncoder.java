package dev.troupe.runtime.grpc;

import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerDeliver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

/**
 * Packs what waits for one peer link into one {@code EnvelopeBatch}. Once the peer has said that it
 * resolves string tables, the PIDs and topics of the batch's messages are written once each, in the
 * batch's {@code strings}, and each message refers to them by number: a flood between two processes
 * repeats the same three texts in every message, and encoding them (on the sending node) and decoding
 * them into new strings (on the receiving one) was what the peer path spent most on per message after
 * the protobuf objects themselves. One per link, used by its one writing thread at a time.
 */
final class PeerBatchEncoder {
  /** What a link's writer queues: an envelope built by its sender, or a message to build in the batch. */
  sealed interface Item permits Built, Message {}

  /** A control or request envelope, sent as it is. */
  record Built(Envelope envelope) implements Item {}

  /** A user message, built into the batch (with references when the peer takes them). */
  record Message(String to, String from, String topic, List<Payload> payloads) implements Item {}

  private final HashMap<String, Integer> refs = new HashMap<>();
  private final ArrayList<String> strings = new ArrayList<>();
  private volatile boolean tables;

  /** The peer's handshake ack said it resolves string tables: use them from the next batch on. */
  void useTables() {
    tables = true;
  }

  boolean usesTables() {
    return tables;
  }

  /**
   * Bytes an item adds to a batch, for the writer's bounds. A message's texts are counted by their
   * length in chars, as if written in full: an estimate (exact for ASCII PIDs and topics) that spares
   * an encoding pass per message; the 256 KiB bound it keeps is far below the 16 MiB a node accepts.
   */
  static int sizeOf(Item item) {
    return switch (item) {
      case Built b -> b.envelope().getSerializedSize();
      case Message m -> {
        int size = m.to().length() + m.from().length() + m.topic().length() + 12;
        for (int i = 0, n = m.payloads().size(); i < n; i++) {
          size += m.payloads().get(i).getSerializedSize() + 2;
        }
        yield size;
      }
    };
  }

  ConnectRequest encode(List<Item> items) {
    boolean withTable = tables && items.size() > 1; // a lone message gains nothing from a table
    EnvelopeBatch.Builder batch = EnvelopeBatch.newBuilder();
    try {
      for (int i = 0, n = items.size(); i < n; i++) {
        switch (items.get(i)) {
          case Built b -> batch.addEnvelopes(b.envelope());
          case Message m -> {
            PeerDeliver.Builder d = PeerDeliver.newBuilder().addAllPayloads(m.payloads());
            if (withTable) {
              d.setToRef(ref(m.to())).setFromRef(ref(m.from())).setTopicRef(ref(m.topic()));
            } else {
              d.setTo(m.to()).setFrom(m.from()).setTopic(m.topic());
            }
            batch.addEnvelopes(Envelope.newBuilder().setDeliver(d));
          }
        }
      }
      batch.addAllStrings(strings);
      return ConnectRequest.newBuilder().setBatch(batch).build();
    } finally {
      refs.clear();
      strings.clear();
    }
  }

  private int ref(String text) {
    Integer ref = refs.get(text);
    if (ref == null) {
      strings.add(text);
      ref = strings.size();
      refs.put(text, ref);
    }
    return ref;
  }
}
