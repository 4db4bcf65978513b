package dev.troupe.runtime.node;

import com.google.rpc.Status;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.common.v1.ProcessEvent;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.PeerCancel;
import dev.troupe.proto.peer.v1.PeerEvent;
import dev.troupe.proto.peer.v1.PeerLink;
import dev.troupe.proto.peer.v1.PeerMonitor;
import dev.troupe.proto.peer.v1.PeerReply;
import dev.troupe.proto.peer.v1.PeerSpawn;
import dev.troupe.proto.peer.v1.PeerTerminate;
import dev.troupe.proto.peer.v1.PeerUnlink;
import dev.troupe.proto.peer.v1.PeerUnmonitor;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote-node protocol as this node speaks it: what it asks of the node serving a process it does
 * not run (spawn, monitor, link, terminate, cancel, deliver, events), the requests waiting for their
 * replies, and its own replies to peers. Which node serves a PID or a host is asked of the directory
 * here. {@link PeerInbox} is the other half: what peers ask of this node.
 */
final class RemoteNodes {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteNodes.class);

  private final String nodeName;
  private final String label;
  private final Directory directory;
  private final PendingRequests pending;
  private final NodeCounters counters;
  private volatile PeerTransport peers = PeerTransport.NONE;

  RemoteNodes(String nodeName, String label, Directory directory, Duration requestTimeout, NodeCounters counters) {
    this.nodeName = nodeName;
    this.label = label;
    this.directory = directory;
    this.pending = new PendingRequests(requestTimeout);
    this.counters = counters;
  }

  /** Requests sent to peers that wait for their replies now. */
  int pendingRequests() {
    return pending.size();
  }

  void connect(PeerTransport transport) {
    this.peers = transport;
  }

  // ---------------------------------------------------------------- which node serves

  /**
   * The live node that serves {@code pid}: the one it names, or the one the directory says serves
   * its host (for a shared host, the member whose range holds its id).
   *
   * @throws TroupeException NOT_FOUND when none does, or when this node fronts the host and the member
   *     that ran the process is gone; UNAVAILABLE-detailed when no live node serves the host
   */
  NodeRecord serving(Pid pid) {
    Served last = lastServed;
    long version = directory.version();
    if (last != null && version >= 0 && last.version == version && (last.pid == pid || last.pid.equals(pid))) {
      return last.node;
    }
    NodeRecord n = lookUpServing(pid);
    if (version >= 0) {
      lastServed = new Served(pid, n, version);
    }
    return n;
  }

  /**
   * The last answer of {@link #serving(Pid)}, valid while the directory's version is the same: a flood
   * to one remote process asked the directory per message, which walked every live node (5 % of a
   * forwarding node's CPU).
   */
  private record Served(Pid pid, NodeRecord node, long version) {}

  private volatile Served lastServed;

  private NodeRecord lookUpServing(Pid pid) {
    if (!pid.node().isEmpty()) {
      return directory.node(pid.node()).filter(n -> n.hosts().contains(pid.host()))
          .orElseThrow(() -> TroupeException.notFound("host not found: node " + pid.node()
              + " serving " + pid.host() + " is not live"));
    }
    NodeRecord n = directory.nodeServing(pid).orElseThrow(() -> Failures.hostUnavailable(pid.host(), "",
        "host not found: no live node serves " + pid));
    if (n.name().equals(nodeName)) {
      throw Node.notFound(pid);
    }
    return n;
  }

  NodeRecord serving(String host) {
    return directory.nodeServing(host).orElseThrow(() -> Failures.hostUnavailable(host, "",
        "host not found: no live node serves " + host));
  }

  // ---------------------------------------------------------------- requests to peers

  /**
   * Asks {@code remote} to spawn {@code entry} for {@code parent}; the parent's side of the monitor
   * and link is recorded as the reply is taken, before any EXIT of the child can follow it.
   */
  CompletableFuture<Pid> spawn(NodeRecord remote, LocalProcess parent, String entry, String host,
      List<Payload> args, boolean monitor, boolean link, List<String> fullNodes) {
    try {
      return request(remote, id -> Envelope.newBuilder()
          .setSpawn(PeerSpawn.newBuilder().setRequestId(id).setParent(parent.pidText())
              .setEntry(entry).setHost(host).addAllArgs(args).setMonitor(monitor).setLink(link)
              .addAllFullNodes(fullNodes))
          .build(), r -> {
            Pid child = Pid.parse(r.getPid());
            if (monitor) {
              parent.addMonitoring(child);
            }
            if (link) {
              parent.addLink(child);
            }
          }).thenApply(r -> Pid.parse(r.getPid()));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  CompletableFuture<Void> monitor(LocalProcess watcher, Pid target) {
    return request(serving(target), id -> Envelope.newBuilder().setMonitor(PeerMonitor.newBuilder()
            .setRequestId(id).setWatcher(watcher.pidText()).setTarget(target.toString())).build(),
        r -> watcher.addMonitoring(target)).thenApply(r -> null);
  }

  CompletableFuture<Void> link(LocalProcess from, Pid target) {
    return request(serving(target), id -> Envelope.newBuilder().setLink(PeerLink.newBuilder()
            .setRequestId(id).setFrom(from.pidText()).setTarget(target.toString())).build(),
        r -> from.addLink(target)).thenApply(r -> null);
  }

  CompletableFuture<Void> terminate(LocalProcess from, Pid target) {
    return request(serving(target), id -> Envelope.newBuilder().setTerminate(PeerTerminate.newBuilder()
        .setRequestId(id).setFrom(from.pidText()).setTarget(target.toString())).build(), r -> {})
        .thenApply(r -> null);
  }

  CompletableFuture<Void> cancel(LocalProcess from, Pid target, String reason) {
    return request(serving(target), id -> Envelope.newBuilder().setCancel(PeerCancel.newBuilder()
        .setRequestId(id).setFrom(from.pidText()).setTarget(target.toString()).setReason(reason))
        .build(), r -> {}).thenApply(r -> null);
  }

  /**
   * Sends a request to a peer. {@code onOk} runs on the thread that takes a successful reply, before
   * that peer's next envelope is handled: it is attached before the request leaves, so that a
   * relation the reply confirms (a monitor, a link) exists locally before the EXIT or LINK_DOWN that
   * may follow the reply on the same stream, however late the requesting thread runs.
   */
  private CompletableFuture<PeerReply> request(NodeRecord node, LongFunction<Envelope> build,
      Consumer<PeerReply> onOk) {
    CompletableFuture<PeerReply> reply = new CompletableFuture<>();
    CompletableFuture<PeerReply> checked = reply.thenApply(r -> {
      if (r.getStatus().getCode() != 0) {
        throw Frames.exception(r.getStatus());
      }
      onOk.accept(r);
      return r;
    });
    long id = pending.open(node, reply);
    Envelope envelope = build.apply(id);
    NodeCounters.RequestTimer timer = counters.requestTimer;
    if (timer != NodeCounters.RequestTimer.NONE) {
      long sent = System.nanoTime();
      String kind = envelope.getKindCase().name().toLowerCase(java.util.Locale.ROOT);
      reply.whenComplete((r, t) -> timer.observe(kind, System.nanoTime() - sent,
          t == null && r.getStatus().getCode() == 0));
    }
    peers.send(node, envelope, true);
    return checked;
  }

  /** @return false if {@code from} may not answer that request (see {@link PendingRequests}) */
  boolean completeRequest(PeerReply reply, NodeRecord from) {
    return pending.complete(reply, from);
  }

  // ---------------------------------------------------------------- one-way envelopes

  /** A user message for a process {@code to} on another node: in the user lane, behind control. */
  void deliver(String from, Pid to, String topic, List<Payload> payloads) {
    peers.deliver(serving(to), text(to), from, topic, payloads);
  }

  /** A PID and its text: a flood to one process formats its PID once, not once a message. */
  private record PidText(Pid pid, String text) {}

  private volatile PidText lastTarget = new PidText(null, "");

  private String text(Pid to) {
    PidText memo = lastTarget;
    if (!to.equals(memo.pid())) {
      memo = new PidText(to, to.toString());
      lastTarget = memo;
    }
    return memo.text();
  }

  /** EXIT / LINK_DOWN / CANCEL for a process on another node; dropped if no node serves it any more. */
  void event(Pid to, ProcessEvent event) {
    sendQuietly(to, Envelope.newBuilder().setEvent(PeerEvent.newBuilder().setTo(to.toString()).setEvent(event))
        .build());
  }

  void unmonitor(Pid watcher, Pid target) {
    sendQuietly(target, Envelope.newBuilder().setUnmonitor(PeerUnmonitor.newBuilder()
        .setWatcher(watcher.toString()).setTarget(target.toString())).build());
  }

  void unlink(Pid from, Pid target) {
    sendQuietly(target, Envelope.newBuilder().setUnlink(PeerUnlink.newBuilder()
        .setFrom(from.toString()).setTarget(target.toString())).build());
  }

  private void sendQuietly(Pid to, Envelope e) {
    try {
      peers.send(serving(to), e, true);
    } catch (TroupeException ex) {
      LOG.debug("{}: no node serves {} any more; dropped {}", label, to, e.getKindCase());
    }
  }

  // ---------------------------------------------------------------- answering peers

  /** Answers a peer's request envelope. */
  void reply(String toNode, long requestId, Status status, String pid) {
    directory.node(toNode).ifPresentOrElse(
        n -> peers.send(n, Envelope.newBuilder().setReply(PeerReply.newBuilder()
            .setRequestId(requestId).setStatus(status).setPid(pid)).build(), true),
        () -> LOG.warn("{}: expected to answer request {} of node {}, but it is not in the directory",
            label, requestId, toNode));
  }

  /** Passes a peer's spawn on to {@code node}, which answers {@code s}'s reply node itself. */
  void forwardSpawn(NodeRecord node, PeerSpawn s) {
    peers.send(node, Envelope.newBuilder().setSpawn(s).build(), true);
  }

  // ---------------------------------------------------------------- a lost peer

  /** Fails every request waiting for {@code node}, and drops its stream and queued traffic. */
  void lost(NodeRecord node, String reason) {
    pending.failAll(node.name(), reason);
    peers.drop(node);
  }
}
