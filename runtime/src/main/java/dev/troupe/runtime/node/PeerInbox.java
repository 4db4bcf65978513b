package dev.troupe.runtime.node;

import dev.troupe.proto.node.v1.Envelope;
import dev.troupe.proto.node.v1.PeerDeliver;
import dev.troupe.runtime.api.Pid;
import dev.troupe.runtime.api.TroupeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does with each envelope from a peer: deliveries and events go to local processes;
 * requests (monitor, link, spawn, terminate, cancel) are carried out and answered; replies complete
 * this node's own requests. A malformed envelope is logged and dropped: it never ends the link.
 */
final class PeerInbox {
  private static final Logger LOG = LoggerFactory.getLogger(PeerInbox.class);
  private final Node node;

  PeerInbox(Node node) {
    this.node = node;
  }

  void onEnvelope(String fromNode, Envelope e, PidMemo pids) {
    try {
      switch (e.getKindCase()) {
        case DELIVER -> deliver(e.getDeliver(), pids);
        case EVENT -> {
          LocalProcess lp = node.liveLocal(Pid.parse(e.getEvent().getTo()));
          if (lp != null) {
            node.acceptEvent(lp, e.getEvent().getEvent());
          }
        }
        case MONITOR -> answer(fromNode, e.getMonitor().getRequestId(), () -> node.watchLocal(
            Pid.parse(e.getMonitor().getTarget()), Pid.parse(e.getMonitor().getWatcher())));
        case UNMONITOR -> {
          LocalProcess tp = node.liveLocal(Pid.parse(e.getUnmonitor().getTarget()));
          if (tp != null) {
            tp.removeWatcher(Pid.parse(e.getUnmonitor().getWatcher()));
          }
        }
        case LINK -> answer(fromNode, e.getLink().getRequestId(), () -> node.linkLocal(
            Pid.parse(e.getLink().getTarget()), Pid.parse(e.getLink().getFrom())));
        case UNLINK -> {
          LocalProcess tp = node.liveLocal(Pid.parse(e.getUnlink().getTarget()));
          if (tp != null) {
            tp.removeLink(Pid.parse(e.getUnlink().getFrom()));
          }
        }
        case SPAWN -> node.spawnForPeer(fromNode, e.getSpawn());
        case TERMINATE -> answer(fromNode, e.getTerminate().getRequestId(),
            () -> node.terminateLocal(Pid.parse(e.getTerminate().getTarget())));
        case CANCEL -> answer(fromNode, e.getCancel().getRequestId(), () -> node.cancelLocal(
            Pid.parse(e.getCancel().getTarget()), e.getCancel().getFrom(), e.getCancel().getReason()));
        case REPLY -> node.completeRequest(e.getReply());
        case KIND_NOT_SET -> LOG.warn("{}: expected an envelope kind from {}, but got none", node.label(), fromNode);
      }
    } catch (IllegalArgumentException ex) {
      LOG.warn("{}: expected a well-formed envelope from {}, but: {}", node.label(), fromNode, ex.getMessage());
    }
  }

  /** A remote send succeeded when it was queued; a target gone meanwhile is only logged. */
  private void deliver(PeerDeliver d, PidMemo pids) {
    try {
      node.route(d.getFrom(), pids.parse(d.getTo()), d.getTopic(), d.getPayloadsList());
    } catch (TroupeException ex) {
      LOG.debug("{}: dropped a message from {} to {}: {}", node.label(), d.getFrom(), d.getTo(),
          ex.getMessage());
    }
  }

  private void answer(String fromNode, long requestId, Runnable action) {
    try {
      action.run();
      node.reply(fromNode, requestId, Frames.OK, "");
    } catch (RuntimeException ex) {
      node.reply(fromNode, requestId, Frames.status(ex), "");
    }
  }
}
