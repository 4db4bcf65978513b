package dev.troupe.client;

import dev.troupe.proto.node.v1.AttachRequest;

/** The client's side of an attach stream: a gRPC stream, or a direct in-JVM link to a node. */
public interface AttachTransport {
  /** Writes one frame; may block the caller while the stream is not ready (backpressure). */
  void send(AttachRequest frame);

  /** Half-closes: the client will send nothing more. */
  void halfClose();

  /**
   * After {@link #halfClose()}: waits until the node has read everything this side sent and ended the
   * stream, at most {@code within}; returns at once for a transport that hands frames over directly.
   */
  default void awaitEnd(java.time.Duration within) {}

  /** The node said it takes {@code AttachRequest.batch}: frames that wait may now be packed. */
  default void nodeAcceptsBatches() {}
}
