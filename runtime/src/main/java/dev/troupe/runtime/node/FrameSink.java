package dev.troupe.runtime.node;

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

  /** Frames accepted but not yet written out: what bounds a process's mailbox on the node. */
  default int backlog() {
    return 0;
  }
}
