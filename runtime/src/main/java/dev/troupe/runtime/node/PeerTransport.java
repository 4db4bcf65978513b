package dev.troupe.runtime.node;

import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.List;

/** Carries envelopes to other nodes: one stream per peer, control ahead of user messages. */
public interface PeerTransport {
  /**
   * Queues {@code envelope} for {@code node}. Never blocks. Control envelopes (monitor, link, events,
   * replies) overtake queued user messages; within a lane order is kept.
   */
  void send(NodeRecord node, Envelope envelope, boolean control);

  /**
   * Queues a user message for process {@code to} (its PID text) on {@code node}, in the user lane:
   * what {@link #send} of a {@code deliver} envelope does, left to the transport to build.
   */
  default void deliver(NodeRecord node, String to, String from, String topic, List<Payload> payloads) {
    send(node, Envelope.newBuilder().setDeliver(PeerDeliver.newBuilder()
        .setTo(to).setFrom(from).setTopic(topic).addAllPayloads(payloads)).build(), false);
  }

  /** Forgets a peer that was lost: its queued traffic is dropped and its stream closed. */
  void drop(NodeRecord node);

  /** A transport for a node alone: there are no peers. */
  PeerTransport NONE = new PeerTransport() {
    @Override
    public void send(NodeRecord node, Envelope envelope, boolean control) {}

    @Override
    public void drop(NodeRecord node) {}
  };
}
