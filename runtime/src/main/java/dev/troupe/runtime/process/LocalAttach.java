package dev.troupe.runtime.process;

import dev.troupe.client.AttachConnection;
import dev.troupe.client.AttachTransport;
import dev.troupe.client.AttachedProcess;
import dev.troupe.proto.node.v1.AttachRequest;
import dev.troupe.runtime.node.AttachSession;
import dev.troupe.runtime.node.FrameSink;
import dev.troupe.runtime.node.Node;

/**
 * Attaches a process to a node in the same JVM without gRPC: frames are handed over as objects in
 * both directions. The protocol is the same as over the network, so the process cannot tell.
 */
public final class LocalAttach {
  private LocalAttach() {}

  /** A connection whose node side is a fresh session on {@code node}. */
  public static AttachSession connect(Node node, AttachConnection conn) {
    FrameSink toProcess = new FrameSink() {
      @Override
      public void push(dev.troupe.proto.node.v1.AttachResponse frame) {
        conn.onFrame(frame);
      }

      @Override
      public void deliver(String from, String topic, java.util.List<dev.troupe.proto.common.v1.Payload> payloads) {
        conn.deliver(from, topic, payloads);
      }

      @Override
      public void deliverAll(java.util.List<dev.troupe.client.wire.Arrival> arrivals) {
        conn.deliverAll(arrivals);
      }

      @Override
      public int backlog() {
        return conn.queued(); // an in-JVM process's mailbox is bounded like a remote one's
      }
    };
    AttachSession session = new AttachSession(node, toProcess);
    conn.bind(new AttachTransport() {
      @Override
      public void send(AttachRequest frame) {
        try {
          session.onFrame(frame);
        } catch (AttachSession.StreamFault f) {
          session.onClosed(f.getMessage());
          conn.onStreamClosed(new IllegalStateException(f.code() + ": " + f.getMessage()));
        }
      }

      @Override
      public void halfClose() {
        session.onClosed("client closed the stream");
      }
    });
    return session;
  }

  /** Attaches an in-JVM client on {@code host} (empty: the default client host). */
  public static AttachedProcess attach(Node node, String host, String clientName) {
    AttachConnection conn = new AttachConnection(AttachConnection.DEFAULT_REQUEST_TIMEOUT);
    connect(node, conn);
    conn.hello(host, clientName);
    return conn.attached().join();
  }
}
