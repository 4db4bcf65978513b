package dev.troupe.runtime.node;

import dev.troupe.proto.node.v1.AttachResponse;

/**
 * Where a node writes the frames of one attached process: a gRPC stream, or an in-JVM process's
 * runtime. Implementations are thread-safe and never block the caller.
 */
public interface FrameSink {
  void push(AttachResponse frame);

  /** Frames accepted but not yet written out: what bounds a process's mailbox on the node. */
  default int backlog() {
    return 0;
  }
}
