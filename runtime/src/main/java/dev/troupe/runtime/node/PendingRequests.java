package dev.troupe.runtime.node;

import dev.troupe.client.Deadlines;
import dev.troupe.client.wire.Failures;
import dev.troupe.proto.peer.v1.PeerReply;
import dev.troupe.runtime.registry.NodeRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Requests this node sent to peers, waiting for their replies; each bound by a timeout. */
final class PendingRequests {
  /** A request to {@code node} (a member of {@code owner}, if it is one). */
  private record Pending(String node, String owner, CompletableFuture<PeerReply> reply) {
    /**
     * Whether {@code from} may answer: the node asked, or one it handed the request to within its
     * launcher's family (a launcher places a spawn on one of its worker JVMs; a worker JVM hands one
     * back to its launcher, which may place it on another of them). No other node may.
     */
    boolean mayBeAnsweredBy(NodeRecord from) {
      String fromOwner = from.shard() == null ? null : from.shard().owner();
      return from.name().equals(node) || node.equals(fromOwner) || from.name().equals(owner)
          || (owner != null && owner.equals(fromOwner));
    }
  }

  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Duration timeout;

  PendingRequests(Duration timeout) {
    this.timeout = timeout;
  }

  /** How many requests wait for their replies now. */
  int size() {
    return pending.size();
  }

  long open(NodeRecord node, CompletableFuture<PeerReply> reply) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(node.name(), node.shard() == null ? null : node.shard().owner(), reply));
    Deadlines.orTimeout(reply, timeout).whenComplete((r, t) -> pending.remove(id));
    return id;
  }

  /**
   * Completes the request {@code reply} answers, if {@code from} may answer it.
   *
   * @return false if the request is one {@code from} was not asked (a forged reply): nothing happens
   */
  boolean complete(PeerReply reply, NodeRecord from) {
    Pending p = pending.get(reply.getRequestId());
    if (p == null) {
      return true; // answered or timed out already
    }
    if (!p.mayBeAnsweredBy(from)) {
      return false;
    }
    if (pending.remove(reply.getRequestId(), p)) {
      p.reply().complete(reply);
    }
    return true;
  }

  /** Fails every request waiting on {@code node}: it will never answer. */
  void failAll(String node, String reason) {
    pending.values().removeIf(p -> {
      if (p.node().equals(node)) {
        p.reply().completeExceptionally(Failures.lostBeforeAnswer(node, reason));
        return true;
      }
      return false;
    });
  }
}
