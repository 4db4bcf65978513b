package dev.troupe.runtime.node;

import dev.troupe.api.ErrorCode;
import dev.troupe.api.Pid;
import dev.troupe.api.TroupeException;
import dev.troupe.client.wire.Failures;
import dev.troupe.client.wire.Frames;
import dev.troupe.proto.common.v1.ErrorKind;
import dev.troupe.proto.common.v1.ExitResult;
import dev.troupe.proto.common.v1.Payload;
import dev.troupe.proto.common.v1.ProcessEvent;
import dev.troupe.proto.peer.v1.Envelope;
import dev.troupe.proto.peer.v1.EnvelopeBatch;
import dev.troupe.proto.peer.v1.PeerReply;
import dev.troupe.proto.peer.v1.PeerSpawn;
import dev.troupe.runtime.registry.Directory;
import dev.troupe.runtime.registry.DirectoryListener;
import dev.troupe.runtime.registry.Names;
import dev.troupe.runtime.registry.NodeRecord;
import dev.troupe.runtime.registry.Shard;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Troupe node: the face its attach sessions, its peer inbox and its hosts talk to. It creates
 * processes (here, or on the node that serves their host) and names them, and follows the directory
 * (peers up and lost, draining, shutdown). The rest is in four parts, none of them gRPC:
 * {@link ProcessTable} (which PIDs are this node's, and their processes), {@link Routing} (where a
 * message goes), {@link Relations} (monitors, links and exit propagation) and {@link RemoteNodes}
 * (the requests this node makes of its peers, and its replies). Attach streams reach it through
 * {@link AttachSession}, peers through {@link PeerTransport} and {@link #onEnvelope}.
 */
public final class Node implements DirectoryListener {
  private static final Logger LOG = LoggerFactory.getLogger(Node.class);

  private final NodeConfig config;
  private final Directory directory;
  private final ProcessTable table;
  private final Set<String> lostIncarnations = ConcurrentHashMap.newKeySet();
  private final long incarnation = new SecureRandom().nextLong() & Long.MAX_VALUE;
  private final long startedAtMs = System.currentTimeMillis();
  private final NodeCounters counters = new NodeCounters();
  private final RemoteNodes remote;
  private final Routing routing;
  private final Relations relations;
  private final SpawnTargets spawnTargets;
  private final PeerInbox peerInbox = new PeerInbox(this);
  private final java.util.List<ProcessObserver> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.List<java.util.function.Consumer<NodeRecord>> peerUpListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Set by {@link #shutdown()}: the peers this node then loses go because it leaves them. */
  private volatile boolean stopping;
  /** Set by {@link #drain}: spawns placed here are refused, so their spawners place them elsewhere. */
  private volatile boolean draining;
  /** Whether the heap has room for more processes (see HeapGuard); replaceable by tests. */
  private volatile HeapGuard heap;
  private final String label;

  public Node(NodeConfig config, Directory directory, Collection<? extends ProcessHost> hosts) {
    this.config = config;
    this.heap = HeapGuard.ofThisJvm(config.heapLimitPercent());
    this.directory = directory;
    this.table = new ProcessTable(config.name(), hosts, config.defaultClientHost());
    this.label = config.name() + "[" + ProcessHandle.current().pid() + "]";
    this.remote = new RemoteNodes(config.name(), label, directory, config.requestTimeout(), counters);
    this.routing = new Routing(config, directory, table, remote, counters);
    this.relations = new Relations(directory, table, routing, remote, observers, counters);
    this.spawnTargets = new SpawnTargets(directory, config.memberRefusalBackoff());
  }

  /** Joins the directory as reachable at {@code address}, forwarding to peers through {@code peers}. */
  public void start(String address, PeerTransport transport) {
    start(address, transport, null);
  }

  /**
   * Joins as above; with a {@code shard}, as a member of that shared host (a launcher's worker JVM):
   * the host's PIDs in the range the directory assigns are this node's.
   */
  public void start(String address, PeerTransport transport, Shard shard) {
    remote.connect(transport);
    List<String> exclusive = new java.util.ArrayList<>(table.hosts().keySet());
    if (shard != null) {
      exclusive.remove(shard.host());
    }
    NodeRecord record = new NodeRecord(config.name(), incarnation, address, exclusive, shard);
    table.joinedAs(record, 1);
    long first = directory.join(record, Map.of(), this);
    table.joinedAs(record.withShardFrom(first), first);
    LOG.info("{}: node started at {} serving {}, incarnation {}, first process id {}", label(), address,
        table.hosts().keySet(), Long.toHexString(incarnation), Pid.formatId(table.nextId()));
  }

  public NodeRecord self() {
    return table.self();
  }

  @Override
  public void joinedAs(NodeRecord self, long firstProcessId) {
    if (self.name().equals(config.name()) && self.incarnation() == incarnation) {
      table.joinedAs(self, firstProcessId);
    }
  }

  public NodeConfig config() {
    return config;
  }

  public Directory directory() {
    return directory;
  }

  public long incarnation() {
    return incarnation;
  }

  /** When this node was made, in ms since the epoch. */
  public long startedAtMs() {
    return startedAtMs;
  }

  /** How this node starts its log lines: its name and OS pid, e.g. "launcher[12345]". */
  public String label() {
    return label;
  }

  /** The next id this node will allocate (reported to the registry so a later life starts above). */
  public long nextProcessId() {
    return table.nextId();
  }

  public Collection<LocalProcess> processes() {
    return table.all();
  }

  /** Whether this node's heap is too full after collection to take new processes (see HeapGuard). */
  public boolean heapFull() {
    return heap.full();
  }

  /** Replaces this node's heap guard (tests give one whose answers they choose). */
  public void heapGuard(HeapGuard guard) {
    this.heap = guard;
  }

  /** How many processes live on this node now (cheap: no listing). */
  public int processCount() {
    return table.count();
  }

  /** How many processes this node has started (spawned or attached) in its life. */
  public long startedTotal() {
    return table.startedTotal();
  }

  /** What this node counts on its hot paths (read by the metrics adapter). */
  public NodeCounters counters() {
    return counters;
  }

  /** Requests this node sent to peers that wait for their replies now. */
  public int pendingPeerRequests() {
    return remote.pendingRequests();
  }

  /** Tells {@code observer} of every spawn and exit on this node (watch subscriptions, status). */
  public void addObserver(ProcessObserver observer) {
    observers.add(observer);
  }

  public void removeObserver(ProcessObserver observer) {
    observers.remove(observer);
  }

  /**
   * Tells {@code listener} of every peer that joins (a launcher learns that its worker JVM is up).
   *
   * @return what stops telling it
   */
  public Runnable onPeerUp(java.util.function.Consumer<NodeRecord> listener) {
    peerUpListeners.add(listener);
    return () -> peerUpListeners.remove(listener);
  }

  public Collection<ProcessHost> hosts() {
    return table.hosts().values();
  }

  public Optional<ProcessHost> host(String name) {
    return Optional.ofNullable(table.host(name));
  }

  // ---------------------------------------------------------------- creating processes

  /**
   * Gives an attached client a PID on {@code host} (empty: the default client host). Refused with
   * UNAVAILABLE once the node is shutting down: its server still takes calls for a moment after its
   * processes were ended, and a client that re-attaches at once (the Echo CLI) must not get a PID
   * that the closing server would end again a moment later.
   */
  public LocalProcess attachClient(String host, String label, FrameSink sink) {
    if (stopping) {
      throw new TroupeException(ErrorCode.UNAVAILABLE, "node " + config.name()
          + " is shutting down; attach again once it has restarted");
    }
    String h = host == null || host.isEmpty() ? config.defaultClientHost() : host;
    ProcessHost ph = table.host(h);
    if (ph == null || !ph.acceptsAttach()) {
      throw TroupeException.invalid("host '" + h + "' does not accept attached clients on node "
          + config.name() + "; use " + config.defaultClientHost() + " or leave hello.host empty");
    }
    LocalProcess p = table.add(h, "", label, sink);
    LOG.debug("{}: client '{}' attached as {}", label(), label, p.pidText());
    return p;
  }

  /** A spawned process whose relations exist and whose code has not started. */
  private record Prepared(LocalProcess child, ProcessHost host, String entry, List<Payload> args) {
    void start() {
      host.start(child, entry, args);
    }
  }

  private Prepared prepareSpawn(Pid parent, String entry, ProcessHost host, List<Payload> args,
      boolean monitor, boolean link) {
    if (draining) {
      // RESOURCE_EXHAUSTED, as a full member's: a spawner places it elsewhere (its launcher).
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "node " + config.name()
          + " is draining before it stops: it takes no new process");
    }
    if (heap.full()) {
      // RESOURCE_EXHAUSTED too: a spawner places it on another JVM, the launcher forks one if need be.
      throw new TroupeException(ErrorCode.RESOURCE_EXHAUSTED, "node " + config.name() + " takes no new process: its "
          + heap.describe() + "; its processes hold more than its heap was sized for: give worker JVMs more"
          + " heap (--worker-heap-mb) or fewer processes each (--max-processes-per-jvm)");
    }
    host.checkSpawn(entry);
    LocalProcess child = table.add(host.name(), entry, entry, new BufferingSink());
    if (monitor) {
      child.addWatcher(parent);
      LocalProcess p = liveLocal(parent);
      if (p != null) {
        p.addMonitoring(child.pid());
      }
    }
    if (link) {
      child.addLink(parent);
      LocalProcess p = liveLocal(parent);
      if (p != null) {
        p.addLink(child.pid());
      }
    }
    return new Prepared(child, host, entry, args);
  }

  /**
   * Spawns {@code entry} on {@code host} for {@code parent}. The child's monitor and link exist
   * before its code runs. Completes with the child's PID.
   */
  public CompletableFuture<Pid> spawn(LocalProcess parent, String entry, String host,
      List<Payload> args, boolean monitor, boolean link) {
    try {
      if (entry.isEmpty() || host.isEmpty()) {
        throw TroupeException.invalid("spawn needs an entry (e.g. app:worker) and a host (e.g. app:processes)");
      }
      routing.checkPayloadSize(args);
      ProcessHost local = table.host(host);
      if (local != null) {
        CompletableFuture<NodeRecord> elsewhere = local.placeElsewhere(entry, "", List.of());
        if (elsewhere != null) {
          return elsewhere.thenCompose(n -> remote.spawn(n, parent, entry, host, args, monitor, link, List.of()));
        }
        try {
          Prepared p = prepareSpawn(parent.pid(), entry, local, args, monitor, link);
          startOrFail(p);
          return CompletableFuture.completedFuture(p.child().pid());
        } catch (TroupeException e) {
          if (e.code() != ErrorCode.RESOURCE_EXHAUSTED || self().shard() == null || !self().shard().host().equals(host)) {
            throw e;
          }
          // This member is full: another member, or its launcher, may have room.
        }
      }
      return spawnAnywhere(parent, entry, host, args, monitor, link);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Spawns on another node: a member of a shared host that has room (round robin), else the node that
   * serves the host (a launcher places it on a worker JVM). A member that refuses for want of room is
   * skipped for a while and the spawn goes to the host's node instead.
   */
  private CompletableFuture<Pid> spawnAnywhere(LocalProcess parent, String entry, String host,
      List<Payload> args, boolean monitor, boolean link) {
    NodeRecord member = spawnTargets.member(host, config.name());
    if (member == null) {
      return remote.spawn(remote.serving(host), parent, entry, host, args, monitor, link, List.of());
    }
    return remote.spawn(member, parent, entry, host, args, monitor, link, List.of()).exceptionallyCompose(t -> {
      Throwable cause = Frames.unwrap(t);
      // Only a refusal is retried: a member lost before its answer reached us may have run the child
      // (its answer and the child's first messages travel on different streams), so it is not.
      if (!(cause instanceof TroupeException e) || e.code() != ErrorCode.RESOURCE_EXHAUSTED
          || directory.nodeServing(host).isEmpty()) {
        return CompletableFuture.failedFuture(cause);
      }
      spawnTargets.refused(member);
      return remote.spawn(remote.serving(host), parent, entry, host, args, monitor, link, List.of(member.name()));
    });
  }

  private void startOrFail(Prepared p) {
    for (ProcessObserver o : observers) {
      o.started(p.child());
    }
    try {
      p.start();
    } catch (RuntimeException e) {
      LOG.warn("{}: expected to start {} as {}, but the host failed: {}", label(), p.entry(),
          p.child().pidText(), e.toString());
      exit(p.child(), Frames.error(ErrorKind.ERROR_KIND_CRASHED, "failed to start: " + e.getMessage()));
      throw e;
    }
  }

  // ---------------------------------------------------------------- messages (Routing)

  /** Completed and shared: what a send that was routed at once returns (no allocation per message). */
  static final CompletableFuture<Void> SENT = Routing.SENT;

  /** Sends a message from {@code from}; completes when it is queued for a live target. */
  public CompletableFuture<Void> send(LocalProcess from, String to, String topic, List<Payload> payloads) {
    return routing.send(from, to, null, topic, payloads, null);
  }

  /**
   * {@link #send}, with {@code known} the target when the caller has already parsed {@code to} (a
   * stream's {@link PidMemo}), else null, and {@code run} the batch being read, if any.
   */
  CompletableFuture<Void> send(LocalProcess from, String to, Pid known, String topic, List<Payload> payloads,
      DeliveryRun run) {
    return routing.send(from, to, known, topic, payloads, run);
  }

  void route(String from, Pid to, String topic, List<Payload> payloads, DeliveryRun run) {
    routing.route(from, to, topic, payloads, run);
  }

  /** A PID text is parsed; anything else is a registered name. */
  public CompletableFuture<Pid> resolve(String dest) {
    return routing.resolve(dest);
  }

  Pid target(Pid pid) {
    return routing.target(pid);
  }

  // ---------------------------------------------------------------- names

  public CompletableFuture<Void> register(LocalProcess p, String name) {
    try {
      Names.validate(name);
    } catch (TroupeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return directory.register(self(), name, p.pid()).thenRun(() -> {
      p.addName(name);
      if (!p.alive()) {
        directory.releaseAll(self(), p.pid()); // it exited while we registered: do not leak the name
      }
    });
  }

  public CompletableFuture<Boolean> unregister(LocalProcess p, String name) {
    return directory.unregister(self(), name, p.pid()).thenApply(removed -> {
      p.removeName(name);
      return removed;
    });
  }

  public CompletableFuture<Pid> lookup(String name) {
    return directory.lookup(name).thenApply(pid -> pid.orElseThrow(
        () -> Failures.nameNotRegistered(name, "name not registered: '" + name + "'")));
  }

  // ---------------------------------------------------------------- monitors, links, options (Relations)

  public CompletableFuture<Void> monitor(LocalProcess watcher, String target) {
    return relations.monitor(watcher, target);
  }

  public CompletableFuture<Void> unmonitor(LocalProcess watcher, String target) {
    return relations.unmonitor(watcher, target);
  }

  public CompletableFuture<Void> link(LocalProcess from, String target) {
    return relations.link(from, target);
  }

  public CompletableFuture<Void> unlink(LocalProcess from, String target) {
    return relations.unlink(from, target);
  }

  public void setTrapLinks(LocalProcess p, boolean trap) {
    p.trapLinks(trap);
  }

  public CompletableFuture<Void> terminate(LocalProcess from, String target) {
    return relations.terminate(from, target);
  }

  public CompletableFuture<Void> cancel(LocalProcess from, String target, String reason) {
    return relations.cancel(from, target, reason);
  }

  // ---------------------------------------------------------------- exits (Relations)

  /**
   * The node ends {@code p} (terminate, untrapped LINK_DOWN, lost node): its runner is told to stop,
   * then the exit is propagated as for any other exit.
   */
  public void kill(LocalProcess p, ExitResult result) {
    relations.kill(p, result);
  }

  /** {@code p} ended with {@code result}. Idempotent: only the first exit counts. */
  public void exit(LocalProcess p, ExitResult result) {
    relations.exit(p, result);
  }

  void acceptEvent(LocalProcess lp, ProcessEvent event) {
    relations.acceptEvent(lp, event);
  }

  // ---------------------------------------------------------------- peers

  /** An envelope from {@code peer}, which may act only for the PIDs it serves, outside any batch. */
  public void onEnvelope(NodeRecord peer, Envelope e) {
    peerInbox.onEnvelope(new PeerStream(peer), e, null, List.of());
  }

  /**
   * A batch that came on {@code stream}, in order: consecutive messages for one process reach its
   * mailbox together ({@link DeliveryRun}); anything else the batch holds waits for those before it.
   */
  public void onEnvelopes(PeerStream stream, EnvelopeBatch batch) {
    DeliveryRun run = stream.run;
    List<String> strings = batch.getStringsList();
    try {
      for (int i = 0, n = batch.getEnvelopesCount(); i < n; i++) {
        Envelope e = batch.getEnvelopes(i);
        if (e.getKindCase() != Envelope.KindCase.DELIVER) {
          run.flush();
        }
        peerInbox.onEnvelope(stream, e, run, strings);
      }
    } finally {
      run.flush();
    }
  }

  /** Answers a peer's request envelope. */
  void reply(String toNode, long requestId, com.google.rpc.Status status, String pid) {
    remote.reply(toNode, requestId, status, pid);
  }

  /** @return false if {@code from} may not answer that request (see PendingRequests) */
  boolean completeRequest(PeerReply reply, NodeRecord from) {
    return remote.completeRequest(reply, from);
  }

  void watchLocal(Pid target, Pid watcher) {
    relations.watchLocal(target, watcher);
  }

  void linkLocal(Pid target, Pid from) {
    relations.linkLocal(target, from);
  }

  void terminateLocal(Pid target) {
    relations.terminateLocal(target);
  }

  void cancelLocal(Pid target, String from, String reason) {
    relations.cancelLocal(target, from, reason);
  }

  /**
   * Spawns for a peer's parent: answered before the child runs (see {@link PeerInbox}). A host that
   * runs the entry elsewhere (a launcher's front, a worker JVM for an isolated entry) has the spawn
   * forwarded there, and that node answers the node that waits for the reply.
   */
  void spawnForPeer(String fromNode, PeerSpawn s) {
    String replyTo = s.getReplyNode().isEmpty() ? fromNode : s.getReplyNode();
    Prepared prepared;
    try {
      ProcessHost host = table.host(s.getHost());
      if (host == null) {
        throw TroupeException.notFound("host not found: " + s.getHost() + " is not served by node "
            + config.name());
      }
      CompletableFuture<NodeRecord> elsewhere = host.placeElsewhere(s.getEntry(), fromNode, s.getFullNodesList());
      if (elsewhere != null) {
        elsewhere.whenComplete((target, t) -> {
          if (t != null) {
            reply(replyTo, s.getRequestId(), Frames.status(Frames.unwrap(t)), "");
          } else {
            remote.forwardSpawn(target, s.toBuilder().setReplyNode(replyTo).build());
          }
        });
        return;
      }
      prepared = prepareSpawn(Pid.parse(s.getParent()), s.getEntry(), host, s.getArgsList(),
          s.getMonitor(), s.getLink());
    } catch (TroupeException ex) {
      NodeRecord me = self();
      if (ex.code() == ErrorCode.RESOURCE_EXHAUSTED && me.shard() != null && me.shard().owner().equals(fromNode)) {
        // Our launcher placed it here from a stale view of our load: back to it, counted full.
        directory.node(fromNode).ifPresentOrElse(
            owner -> remote.forwardSpawn(owner, s.toBuilder().setReplyNode(replyTo)
                .addFullNodes(config.name()).build()),
            () -> reply(replyTo, s.getRequestId(), Frames.status(ex), ""));
        return;
      }
      reply(replyTo, s.getRequestId(), Frames.status(ex), "");
      return;
    } catch (RuntimeException ex) {
      reply(replyTo, s.getRequestId(), Frames.status(ex), "");
      return;
    }
    // The reply goes out before the child can run, so the parent's node knows of the monitor and
    // link before any EXIT or LINK_DOWN of the child can reach it on the same stream.
    reply(replyTo, s.getRequestId(), Frames.OK, prepared.child().pidText());
    try {
      startOrFail(prepared);
    } catch (RuntimeException ignored) {
      // The EXIT with the start failure is already on its way to the parent.
    }
  }

  // ---------------------------------------------------------------- directory events

  @Override
  public void nodeUp(NodeRecord node) {
    if (node.shard() != null) {
      LOG.debug("{}: worker JVM {} is up at {} serving {} ids from {}", label(), node.label(), node.address(),
          node.shard().host(), Pid.formatId(node.shard().firstId()));
    } else {
      LOG.info("{}: peer {} is up at {} serving {}", label(), node.label(), node.address(), node.hosts());
    }
    for (var l : peerUpListeners) {
      l.accept(node);
    }
  }

  /** Fires every monitor (EXIT) and link (LINK_DOWN) across the lost node, with a reason that says so. */
  @Override
  public void nodeLost(NodeRecord node, String reason) {
    // A launcher's worker JVM is not a node its users know of: its processes crashed with it, for the
    // reason its launcher saw (the signal), as they did when they shared the launcher's node.
    lose(node, reason, node.shard() != null
        ? Frames.error(ErrorKind.ERROR_KIND_CRASHED, reason)
        : Frames.error(ErrorKind.ERROR_KIND_NODE_LOST, "node lost: " + node.name() + " (" + reason + ")"));
  }

  private void lose(NodeRecord node, String reason, ExitResult lost) {
    if (node.name().equals(config.name()) || !lostIncarnations.add(node.label())) {
      return;
    }
    remote.lost(node, reason);
    relations.fireAcross(node, lost);
    // Logged after the monitors fired: on this rarely run (interpreted) path the line costs more than
    // the events.
    if (stopping) {
      // Its own shutdown cut the streams: no peer failed, so a clean stop is not a warning.
      LOG.debug("{}: left peer {} while stopping ({})", label(), node.label(), reason);
    } else {
      LOG.warn("{}: peer {} lost ({}); fired monitors and links across it", label(), node.label(), reason);
    }
    // Worker JVMs never outlive their launcher: its loss is theirs, for the same reason.
    for (NodeRecord m : directory.nodes()) {
      if (m.shard() != null && m.shard().owner().equals(node.name())) {
        lose(m, reason, lost);
      }
    }
  }

  /**
   * From now on this node takes no new process: each spawn placed here is refused with
   * RESOURCE_EXHAUSTED (a spawner then places it elsewhere). Its launcher calls this before it stops
   * it; the processes it runs go on until they end.
   */
  public void drain() {
    if (!draining) {
      draining = true;
      LOG.debug("{}: draining: no new process from now on", label());
    }
  }

  /** Whether that incarnation of a peer was lost: its traffic is refused, it cannot come back. */
  public boolean isLost(String nodeName, long nodeIncarnation) {
    return lostIncarnations.contains(new NodeRecord(nodeName, nodeIncarnation, "", List.of()).label());
  }

  /**
   * Called by the peer layer when a peer's stream broke or fell silent. A launcher's worker JVM is
   * given {@code memberLossWait} for the directory to report it lost with the cause its launcher saw
   * (the signal that killed it); only then does the broken stream itself count.
   */
  public void peerFailed(NodeRecord node, String reason) {
    if (node.shard() != null && !stopping) {
      spawnTargets.refused(node); // no new spawn goes there while its loss is confirmed
      CompletableFuture.delayedExecutor(config.memberLossWait().toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> nodeLost(node, reason));
      return;
    }
    nodeLost(node, reason);
  }

  @Override
  public void nameChanged(String name, Pid owner) {}

  // ---------------------------------------------------------------- lookups

  public boolean isLocal(Pid pid) {
    return table.isLocal(pid);
  }

  /** The live local process with this PID, or null. */
  public LocalProcess liveLocal(Pid pid) {
    return table.liveLocal(pid);
  }

  static TroupeException notFound(Pid pid) {
    return Failures.processNotFound(pid.toString(), "process not found: " + pid);
  }

  static TroupeException notRegistered(Pid pid) {
    return Failures.processNotFound(pid.toString(), "pid not registered: " + pid + " is not alive");
  }

  /** Ends every local process (node shutdown) and leaves the directory. */
  public void shutdown() {
    stopping = true;
    for (LocalProcess p : table.all()) {
      kill(p, Frames.error(ErrorKind.ERROR_KIND_CRASHED, "node shutting down"));
    }
    NodeRecord me = self();
    if (me != null) {
      directory.leave(me);
    }
  }
}
