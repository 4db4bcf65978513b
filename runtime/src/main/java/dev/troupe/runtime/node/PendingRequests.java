package dev.troupe.runtime.node;

import dev.troupe.proto.node.v1.PeerReply;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** Requests this node sent to peers, waiting for their replies; each bound by a timeout. */
final class PendingRequests {
  private record Pending(String node, CompletableFuture<PeerReply> reply) {}

  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
  private final Duration timeout;

  PendingRequests(Duration timeout) {
    this.timeout = timeout;
  }

  long open(String node, CompletableFuture<PeerReply> reply) {
    long id = ids.incrementAndGet();
    pending.put(id, new Pending(node, reply));
    Deadlines.orTimeout(reply, timeout).whenComplete((r, t) -> pending.remove(id));
    return id;
  }

  void complete(PeerReply reply) {
    Pending p = pending.remove(reply.getRequestId());
    if (p != null) {
      p.reply().complete(reply);
    }
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
