package dev.troupe.runtime.node;

import dev.troupe.runtime.registry.NodeRecord;

/**
 * One incoming peer stream as its node sees it: the peer as the registry admitted it (its handshake's
 * record, proven by the ticket), which bounds what the stream may act for, and the memos of its PIDs.
 * One per stream, used by the thread that reads it; not thread-safe.
 */
public final class PeerStream {
  private final NodeRecord peer;
  final PidMemo targets = new PidMemo();
  final PidMemo senders = new PidMemo();
  /** The messages of the batch being read, for {@link Node#onEnvelopes}. */
  final DeliveryRun run = new DeliveryRun();
  /** Whether a refused envelope has been logged: once per stream, so a forger cannot flood the log. */
  boolean refusalLogged;

  public PeerStream(NodeRecord peer) {
    this.peer = peer;
  }

  public NodeRecord peer() {
    return peer;
  }
}
