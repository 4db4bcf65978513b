package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.runtime.registry.Directory;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a message goes: a destination (PID text or registered name) resolved to a PID, the topic and
 * payload checked, then delivered to the local process's sink (its mailbox bounded) or handed to the
 * node that serves the PID.
 */
final class Routing {
  /** Completed and shared: what a send that was routed at once returns (no allocation per message). */
  static final CompletableFuture<Void> SENT = CompletableFuture.completedFuture(null);

  private final NodeConfig config;
  private final Directory directory;
  private final ProcessTable table;
  private final RemoteNodes remote;
  private final NodeCounters counters;

  Routing(NodeConfig config, Directory directory, ProcessTable table, RemoteNodes remote, NodeCounters counters) {
    this.config = config;
    this.directory = directory;
    this.table = table;
    this.remote = remote;
    this.counters = counters;
  }

  /**
   * Sends from {@code from}; {@code known} is the target when the caller has already parsed
   * {@code to} (a stream's {@link PidMemo}), else null. Completes when it is queued for a live target.
   */
  CompletableFuture<Void> send(LocalProcess from, String to, Pid known, String topic, List<Payload> payloads,
      DeliveryRun run) {
    try {
      checkTopic(topic);
      checkPayloadSize(payloads);
      if (known != null) {
        route(from.pidText(), known, topic, payloads, run);
        return SENT;
      }
      CompletableFuture<Pid> target = resolve(to);
      if (target.isDone() && !target.isCompletedExceptionally()) {
        route(from.pidText(), target.join(), topic, payloads, run);
        return SENT;
      }
      if (run != null) {
        run.flush(); // this one is routed later, elsewhere: what came before it goes first
      }
      return target.thenAccept(pid -> route(from.pidText(), pid, topic, payloads, null));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Queues a message for {@code to}: on a peer's stream, or in a local process's mailbox, at once or,
   * with a {@code run} (a batch being read), when the run is flushed.
   *
   * @throws TroupeException NOT_FOUND for a local process that is not alive, RESOURCE_EXHAUSTED when
   *     its mailbox is full
   */
  void route(String from, Pid to, String topic, List<Payload> payloads, DeliveryRun run) {
    if (!table.isLocal(to)) {
      remote.deliver(from, to, topic, payloads);
      counters.sentToPeers.increment();
      return;
    }
    LocalProcess p = table.liveLocal(to);
    if (p == null) {
      throw Node.notFound(to);
    }
    FrameSink sink = p.sink();
    if (run != null) {
      if (!run.add(sink, config.maxMailbox(), from, topic, payloads)) {
        throw mailboxFull(to);
      }
    } else {
      if (sink.backlog() >= config.maxMailbox()) {
        throw mailboxFull(to);
      }
      sink.deliver(from, topic, payloads);
    }
    counters.deliveredLocally.increment();
  }

  private TroupeException mailboxFull(Pid to) {
    return new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "mailbox of " + to + " is full ("
        + config.maxMailbox() + " messages waiting); retry later or slow down");
  }

  private static void checkTopic(String topic) {
    if (topic == null || topic.isEmpty()) {
      throw TroupeException.invalid("topic must not be empty");
    }
    if (topic.charAt(0) == '@') {
      throw TroupeException.invalid("cannot send to @ topics: '" + topic + "' is reserved");
    }
  }

  void checkPayloadSize(List<Payload> payloads) {
    long size = 0;
    for (int i = 0, n = payloads.size(); i < n; i++) { // indexed: no iterator per message
      size += payloads.get(i).getSerializedSize();
    }
    if (size > config.maxPayloadBytes()) {
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "payload of " + size
          + " bytes is over this node's limit of " + config.maxPayloadBytes()
          + " bytes; send less, or raise the node's max payload setting");
    }
  }

  /** A PID text is parsed; anything else is a registered name. */
  CompletableFuture<Pid> resolve(String dest) {
    if (dest == null || dest.isEmpty()) {
      return CompletableFuture.failedFuture(TroupeException.invalid("destination must not be empty"));
    }
    if (Pid.looksLikePid(dest)) {
      try {
        return CompletableFuture.completedFuture(target(Pid.parse(dest)));
      } catch (IllegalArgumentException e) {
        return CompletableFuture.failedFuture(TroupeException.invalid(e.getMessage()));
      } catch (TroupeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return directory.lookup(dest).thenApply(pid -> pid.orElseThrow(() -> Failures.nameNotRegistered(dest,
        "could not resolve '" + dest + "' as PID or registered name")));
  }

  /**
   * A parsed PID as the target of a request. Relations and events name a process by the PID its node
   * hands out, {host|id}; one live node serves a host, so {node@host|id} is the same process once that
   * node is checked. Kept qualified, a monitor or link taken with it would never match its EXIT /
   * LINK_DOWN.
   *
   * @throws TroupeException NOT_FOUND unless the named node is live and serves the host
   */
  Pid target(Pid pid) {
    if (pid.node().isEmpty()) {
      return pid;
    }
    if (!table.isLocal(pid)) {
      remote.serving(pid);
    }
    return Pid.of(pid.host(), pid.id());
  }
}
