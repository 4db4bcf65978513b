package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerDeliver;
import dev.troupe.proto.peer.v1.PeerSpawn;
import dev.troupe.runtime.registry.NodeRecord;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does with each envelope from a peer: deliveries and events go to local processes;
 * requests (monitor, link, spawn, terminate, cancel) are carried out and answered; replies complete
 * this node's own requests. A malformed envelope is logged and dropped: it never ends the link.
 *
 * <p>A peer acts only for its own processes: the sender of a message, the watcher of a monitor, the
 * process that links, terminates or cancels, and the process an EXIT or LINK_DOWN reports must be a
 * PID the peer serves (by its admitted record, see {@link PeerStream}). Anything else is a forgery:
 * dropped (a request is answered PERMISSION_DENIED), and logged once per stream.
 */
final class PeerInbox {
  private static final Logger LOG = LoggerFactory.getLogger(PeerInbox.class);
  private final Node node;

  PeerInbox(Node node) {
    this.node = node;
  }

  /**
   * @param run the batch being read, which holds messages for local processes; null: deliver at once
   * @param strings the batch's string table, which a message's {@code *_ref} fields refer to
   */
  void onEnvelope(PeerStream stream, Envelope e, DeliveryRun run, List<String> strings) {
    String fromNode = stream.peer().name();
    try {
      switch (e.getKindCase()) {
        case DELIVER -> deliver(stream, e.getDeliver(), run, strings);
        case EVENT -> {
          if (actsFor(stream, Pid.parse(e.getEvent().getEvent().getFrom()), e)) {
            LocalProcess lp = node.liveLocal(Pid.parse(e.getEvent().getTo()));
            if (lp != null) {
              node.acceptEvent(lp, e.getEvent().getEvent());
            }
          }
        }
        case MONITOR -> {
          Pid watcher = Pid.parse(e.getMonitor().getWatcher());
          answer(stream, watcher, e, e.getMonitor().getRequestId(),
              () -> node.watchLocal(Pid.parse(e.getMonitor().getTarget()), watcher));
        }
        case UNMONITOR -> {
          Pid watcher = Pid.parse(e.getUnmonitor().getWatcher());
          LocalProcess tp = node.liveLocal(Pid.parse(e.getUnmonitor().getTarget()));
          if (tp != null && actsFor(stream, watcher, e)) {
            tp.removeWatcher(watcher);
          }
        }
        case LINK -> {
          Pid from = Pid.parse(e.getLink().getFrom());
          answer(stream, from, e, e.getLink().getRequestId(),
              () -> node.linkLocal(Pid.parse(e.getLink().getTarget()), from));
        }
        case UNLINK -> {
          Pid from = Pid.parse(e.getUnlink().getFrom());
          LocalProcess tp = node.liveLocal(Pid.parse(e.getUnlink().getTarget()));
          if (tp != null && actsFor(stream, from, e)) {
            tp.removeLink(from);
          }
        }
        case SPAWN -> {
          if (maySpawn(stream, e.getSpawn(), e)) {
            node.spawnForPeer(fromNode, e.getSpawn());
          } else {
            node.reply(fromNode, e.getSpawn().getRequestId(), Frames.status(refused(stream, e)), "");
          }
        }
        case TERMINATE -> answer(stream, Pid.parse(e.getTerminate().getFrom()), e, e.getTerminate().getRequestId(),
            () -> node.terminateLocal(Pid.parse(e.getTerminate().getTarget())));
        case CANCEL -> answer(stream, Pid.parse(e.getCancel().getFrom()), e, e.getCancel().getRequestId(),
            () -> node.cancelLocal(Pid.parse(e.getCancel().getTarget()), e.getCancel().getFrom(),
                e.getCancel().getReason()));
        case REPLY -> {
          if (!node.completeRequest(e.getReply(), stream.peer())) {
            logRefusal(stream, e, "answers request " + e.getReply().getRequestId() + ", which it was not asked");
          }
        }
        case KIND_NOT_SET -> LOG.warn("{}: expected an envelope kind from {}, but got none", node.label(), fromNode);
      }
    } catch (IllegalArgumentException ex) {
      LOG.warn("{}: expected a well-formed envelope from {}, but: {}", node.label(), fromNode, ex.getMessage());
    }
  }

  /** A remote send succeeded when it was queued; a target gone meanwhile is only logged. */
  private void deliver(PeerStream stream, PeerDeliver d, DeliveryRun run, List<String> strings) {
    String from = text(d.getFromRef(), d.getFrom(), strings);
    String to = text(d.getToRef(), d.getTo(), strings);
    if (!actsFor(stream, stream.senders.parse(from), null)) {
      return;
    }
    node.counters().receivedFromPeers.increment();
    try {
      node.route(from, stream.targets.parse(to), text(d.getTopicRef(), d.getTopic(), strings),
          d.getPayloadsList(), run);
    } catch (TroupeException ex) {
      LOG.debug("{}: dropped a message from {} to {}: {}", node.label(), from, to, ex.getMessage());
    }
  }

  /** A text of an envelope: its own field, or (ref > 0) the batch's string that stands for it. */
  private static String text(int ref, String own, List<String> strings) {
    if (ref == 0) {
      return own;
    }
    if (ref > strings.size()) {
      throw new IllegalArgumentException("string reference " + ref + " is past the batch's "
          + strings.size() + " strings");
    }
    return strings.get(ref - 1);
  }

  /**
   * Whether the peer may act for {@code pid}: it serves it. If not, the envelope is a forgery; the
   * first of a stream is logged ({@code e} may be null on the message path: it is only for the log).
   */
  private boolean actsFor(PeerStream stream, Pid pid, Envelope e) {
    if (stream.peer().serves(pid) || isMyOwner(stream.peer())) {
      return true; // this node's launcher forwards what was sent to its host before this JVM was known
    }
    logRefusal(stream, e, "acts for " + pid + ", a PID it does not serve");
    return false;
  }

  private boolean isMyOwner(NodeRecord peer) {
    NodeRecord me = node.self();
    return me.shard() != null && me.shard().owner().equals(peer.name());
  }

  private void logRefusal(PeerStream stream, Envelope e, String what) {
    if (!stream.refusalLogged) {
      stream.refusalLogged = true;
      LOG.warn("{}: peer {} sent an envelope ({}) that {}; refused, as are all such from this stream",
          node.label(), stream.peer().label(), e == null ? "DELIVER" : e.getKindCase(), what);
    }
  }

  /**
   * A spawn acts for its parent; a launcher also places spawns of others' processes on its own worker
   * JVMs, and a worker JVM hands an isolated entry (or one it has no room for) back to its launcher.
   */
  private boolean maySpawn(PeerStream stream, PeerSpawn s, Envelope e) {
    NodeRecord peer = stream.peer();
    NodeRecord me = node.self();
    if ((peer.shard() != null && peer.shard().owner().equals(me.name()))
        || (me.shard() != null && me.shard().owner().equals(peer.name()))) {
      return true;
    }
    return actsFor(stream, Pid.parse(s.getParent()), e);
  }

  private TroupeException refused(PeerStream stream, Envelope e) {
    return new TroupeException(ErrorCode.PERMISSION_DENIED, "node " + stream.peer().label()
        + " may act only for the PIDs it serves; " + e.getKindCase() + " refused");
  }

  private void answer(PeerStream stream, Pid actor, Envelope e, long requestId, Runnable action) {
    String fromNode = stream.peer().name();
    if (!actsFor(stream, actor, e)) {
      node.reply(fromNode, requestId, Frames.status(refused(stream, e)), "");
      return;
    }
    try {
      action.run();
      node.reply(fromNode, requestId, Frames.OK, "");
    } catch (RuntimeException ex) {
      node.reply(fromNode, requestId, Frames.status(ex), "");
    }
  }
}
