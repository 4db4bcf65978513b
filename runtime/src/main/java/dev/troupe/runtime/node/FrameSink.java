package dev.troupe.runtime.node;

import dev.troupe.client.wire.Arrival;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.node.v1.AttachResponse;
import dev.troupe.proto.node.v1.Delivery;
import java.util.List;

/**
 * Where a node writes the frames of one attached process: a gRPC stream, or an in-JVM process's
 * runtime. Implementations are thread-safe and never block the caller.
 */
public interface FrameSink {
  void push(AttachResponse frame);

  /**
   * A message for the process: the same as pushing a {@code delivery} frame, which is what a stream
   * does; an in-JVM process takes it without the frame being built.
   */
  default void deliver(String from, String topic, List<Payload> payloads) {
    push(AttachResponse.newBuilder().setDelivery(Delivery.newBuilder()
        .setFrom(from).setTopic(topic).addAllPayloads(payloads)).build());
  }

  /**
   * Messages that came together for the process, in order ({@link DeliveryRun}). The list is the
   * caller's and reused: an implementation takes what it needs before it returns.
   */
  default void deliverAll(List<Arrival> arrivals) {
    for (int i = 0, n = arrivals.size(); i < n; i++) {
      Arrival a = arrivals.get(i);
      deliver(a.from(), a.topic(), a.payloads());
    }
  }

  /** Frames accepted but not yet written out: what bounds a process's mailbox on the node. */
  default int backlog() {
    return 0;
  }
}
