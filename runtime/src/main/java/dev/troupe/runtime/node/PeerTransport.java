package dev.troupe.runtime.node;

import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.runtime.registry.NodeRecord;

/** Carries envelopes to other nodes: one stream per peer, control ahead of user messages. */
public interface PeerTransport {
  /**
   * Queues {@code envelope} for {@code node}. Never blocks. Control envelopes (monitor, link, events,
   * replies) overtake queued user messages; within a lane order is kept.
   */
  void send(NodeRecord node, Envelope envelope, boolean control);

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
