package dev.troupe.runtime.grpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.peer.v1.ConnectRequest;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerDeliver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;

/**
 * Packs what waits for one peer link into the bytes of one {@code ConnectRequest} holding an
 * {@code EnvelopeBatch}. User messages are written straight from their parts, without building a
 * {@code PeerDeliver} and an {@code Envelope} for each: on a node that forwards a flood, building
 * those objects and then walking them again for their size and their bytes was the largest share of
 * its one network thread (BENCHMARKS.md, "Peer batches written by hand"). The bytes are exactly what
 * the generated classes would parse into the same batch (the tests parse them back), so the receiving
 * node, and any peer built from the protos, reads them with the generated parser.
 *
 * <p>Once the peer has said that it resolves string tables, the PIDs and topics of the batch's
 * messages are written once each, in the batch's {@code strings}, and each message refers to them by
 * number: a flood between two processes repeats the same three texts in every message, and encoding
 * them (on the sending node) and decoding them into new strings (on the receiving one) cost more than
 * anything else per message after the objects themselves. One per link, used by its one writing thread
 * at a time.
 */
final class PeerBatchEncoder {
  /**
   * What a link's writer queues: an envelope built by its sender, or a message to build in the batch.
   * Each knows the bytes it adds to a batch, for the writer's bounds, sized once when it is made: on
   * the sending thread, whose caches still hold its parts. Sizing it again when the writer takes it
   * walked every queued message's payloads a second time, cold (8 % of a forwarding node's samples).
   */
  sealed interface Item permits Built, Message {
    int size();
  }

  /** A control or request envelope, sent as it is. */
  record Built(Envelope envelope, int size) implements Item {
    Built(Envelope envelope) {
      this(envelope, envelope.getSerializedSize());
    }
  }

  /** A user message, built into the batch (with references when the peer takes them). */
  record Message(String to, String from, String topic, List<Payload> payloads, int size) implements Item {
    Message(String to, String from, String topic, List<Payload> payloads) {
      this(to, from, topic, payloads, estimate(to, from, topic, payloads));
    }
  }

  private static final int LENGTH_DELIMITED = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private final HashMap<String, Integer> refs = new HashMap<>();
  private final ArrayList<String> strings = new ArrayList<>();
  /** The last text of each reference field (to, from, topic) in this batch, and its reference. */
  private final String[] lastTexts = new String[3];
  private final int[] lastRefs = new int[3];
  /** Per item of the batch being encoded: the size of its envelope, and of a message its deliver. */
  private int[] envelopeSizes = new int[64];
  private int[] deliverSizes = new int[64];
  /** Per message of the batch being encoded, with a table: its to, from and topic references. */
  private int[] textRefs = new int[3 * 64];
  private volatile boolean tables;

  /** The peer's handshake ack said it resolves string tables: use them from the next batch on. */
  void useTables() {
    tables = true;
  }

  boolean usesTables() {
    return tables;
  }

  /**
   * A message's size in a batch. Its texts are counted by their length in chars, as if written in
   * full: an estimate (exact for ASCII PIDs and topics) that spares an encoding pass per message; the
   * 256 KiB bound it keeps is far below the 16 MiB a node accepts.
   */
  private static int estimate(String to, String from, String topic, List<Payload> payloads) {
    int size = to.length() + from.length() + topic.length() + 12;
    for (int i = 0, n = payloads.size(); i < n; i++) {
      size += payloads.get(i).getSerializedSize() + 2;
    }
    return size;
  }

  /** The bytes of one {@code ConnectRequest} whose {@code batch} holds {@code items}, in order. */
  byte[] encode(List<Item> items) {
    int n = items.size();
    boolean withTable = tables && n > 1; // a lone message gains nothing from a table
    try {
      int batchSize = measure(items, withTable);
      byte[] out = new byte[CodedOutputStream.computeTagSize(ConnectRequest.BATCH_FIELD_NUMBER)
          + CodedOutputStream.computeUInt32SizeNoTag(batchSize) + batchSize];
      CodedOutputStream o = CodedOutputStream.newInstance(out);
      o.writeTag(ConnectRequest.BATCH_FIELD_NUMBER, LENGTH_DELIMITED);
      o.writeUInt32NoTag(batchSize);
      for (int i = 0; i < n; i++) {
        o.writeTag(EnvelopeBatch.ENVELOPES_FIELD_NUMBER, LENGTH_DELIMITED);
        o.writeUInt32NoTag(envelopeSizes[i]);
        switch (items.get(i)) {
          case Built b -> b.envelope().writeTo(o);
          case Message m -> {
            o.writeTag(Envelope.DELIVER_FIELD_NUMBER, LENGTH_DELIMITED);
            o.writeUInt32NoTag(deliverSizes[i]);
            writeDeliver(o, m, withTable ? 3 * i : -1);
          }
        }
      }
      for (int i = 0, s = strings.size(); i < s; i++) {
        o.writeString(EnvelopeBatch.STRINGS_FIELD_NUMBER, strings.get(i));
      }
      o.checkNoSpaceLeft();
      return out;
    } catch (IOException e) {
      // Writing into an array of the measured size: only a measuring bug gets here.
      throw new UncheckedIOException("peer batch encoding overran its measured size", e);
    } finally {
      refs.clear();
      strings.clear();
      Arrays.fill(lastTexts, null); // references are per batch
    }
  }

  /** Sizes every envelope of the batch (assigning text references when there is a table); returns the batch's. */
  private int measure(List<Item> items, boolean withTable) {
    int n = items.size();
    if (envelopeSizes.length < n) {
      envelopeSizes = new int[Math.max(n, 2 * envelopeSizes.length)];
      deliverSizes = new int[envelopeSizes.length];
      textRefs = new int[3 * envelopeSizes.length];
    }
    int batchSize = 0;
    for (int i = 0; i < n; i++) {
      int envelopeSize;
      switch (items.get(i)) {
        case Built b -> envelopeSize = b.size(); // exact for a built envelope
        case Message m -> {
          int deliverSize = deliverSize(m, withTable ? 3 * i : -1);
          deliverSizes[i] = deliverSize;
          envelopeSize = CodedOutputStream.computeTagSize(Envelope.DELIVER_FIELD_NUMBER)
              + CodedOutputStream.computeUInt32SizeNoTag(deliverSize) + deliverSize;
        }
      }
      envelopeSizes[i] = envelopeSize;
      batchSize += CodedOutputStream.computeTagSize(EnvelopeBatch.ENVELOPES_FIELD_NUMBER)
          + CodedOutputStream.computeUInt32SizeNoTag(envelopeSize) + envelopeSize;
    }
    for (int i = 0, s = strings.size(); i < s; i++) {
      batchSize += CodedOutputStream.computeStringSize(EnvelopeBatch.STRINGS_FIELD_NUMBER, strings.get(i));
    }
    return batchSize;
  }

  /** A message's {@code PeerDeliver} size; {@code refAt} >= 0: its references go to {@code textRefs[refAt..+2]}. */
  private int deliverSize(Message m, int refAt) {
    int size;
    if (refAt >= 0) {
      int to = ref(m.to(), 0);
      int from = ref(m.from(), 1);
      int topic = ref(m.topic(), 2);
      textRefs[refAt] = to;
      textRefs[refAt + 1] = from;
      textRefs[refAt + 2] = topic;
      size = CodedOutputStream.computeUInt32Size(PeerDeliver.TO_REF_FIELD_NUMBER, to)
          + CodedOutputStream.computeUInt32Size(PeerDeliver.FROM_REF_FIELD_NUMBER, from)
          + CodedOutputStream.computeUInt32Size(PeerDeliver.TOPIC_REF_FIELD_NUMBER, topic);
    } else {
      size = textSize(PeerDeliver.TO_FIELD_NUMBER, m.to())
          + textSize(PeerDeliver.FROM_FIELD_NUMBER, m.from())
          + textSize(PeerDeliver.TOPIC_FIELD_NUMBER, m.topic());
    }
    List<Payload> payloads = m.payloads();
    for (int p = 0, k = payloads.size(); p < k; p++) {
      size += CodedOutputStream.computeMessageSize(PeerDeliver.PAYLOADS_FIELD_NUMBER, payloads.get(p));
    }
    return size;
  }

  /** Writes a message's {@code PeerDeliver} fields, in field-number order as the generated code does. */
  private void writeDeliver(CodedOutputStream o, Message m, int refAt) throws IOException {
    if (refAt < 0) {
      writeText(o, PeerDeliver.TO_FIELD_NUMBER, m.to());
      writeText(o, PeerDeliver.FROM_FIELD_NUMBER, m.from());
      writeText(o, PeerDeliver.TOPIC_FIELD_NUMBER, m.topic());
    }
    List<Payload> payloads = m.payloads();
    for (int p = 0, k = payloads.size(); p < k; p++) {
      o.writeMessage(PeerDeliver.PAYLOADS_FIELD_NUMBER, payloads.get(p));
    }
    if (refAt >= 0) {
      o.writeUInt32(PeerDeliver.TO_REF_FIELD_NUMBER, textRefs[refAt]);
      o.writeUInt32(PeerDeliver.FROM_REF_FIELD_NUMBER, textRefs[refAt + 1]);
      o.writeUInt32(PeerDeliver.TOPIC_REF_FIELD_NUMBER, textRefs[refAt + 2]);
    }
  }

  /** Proto3 leaves an empty text out: so do we, so that the bytes parse to the same message. */
  private static int textSize(int field, String text) {
    return text.isEmpty() ? 0 : CodedOutputStream.computeStringSize(field, text);
  }

  private static void writeText(CodedOutputStream o, int field, String text) throws IOException {
    if (!text.isEmpty()) {
      o.writeString(field, text);
    }
  }

  /**
   * {@link #ref(String)} through a memo per field: a flood's target and sender texts are the same
   * String objects message after message (the node keeps one text per PID), so comparing references
   * spares most hash lookups (3.5 % of a forwarding node's samples).
   */
  private int ref(String text, int field) {
    if (lastTexts[field] == text) {
      return lastRefs[field];
    }
    int ref = ref(text);
    lastTexts[field] = text;
    lastRefs[field] = ref;
    return ref;
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
